--- Command-line option parser in the style of getopt_long.
--
-- `cli.parse_args(spec[, argv])` turns an argument list into a table of option values plus
-- the positional arguments. It never raises on bad input: every problem, in the option
-- spec or in the arguments, comes back as `nil, message`.
--
-- Pure Lua, self-contained, no scheduler interaction.
-- @module eco.cli

local M = {}

-- Types whose option takes a value (`--k v`, `--k=v`, `-kv`, `-k v`).
local VALUE_TYPES = { string = true, number = true, integer = true, array = true }

-- Every supported type; `true` marks the ones that may appear more than once.
local TYPES = {
    boolean = false, string = false, number = false, integer = false,
    count = true, array = true,
}

--- Checks an array default and returns a copy of it, or nil and an error message.
-- The caller's table is never modified, so it is copied here once.
local function copy_array_default(name, default)
    if type(default) ~= 'table' then
        return nil, string.format("option '%s' default must be an array table", name)
    end

    local max = 0
    for k in pairs(default) do
        if math.type(k) ~= 'integer' or k < 1 then
            return nil, string.format("option '%s' default must be an array table", name)
        end
        if k > max then max = k end
    end

    local copy = {}
    for k = 1, max do
        local v = default[k]
        if v == nil then
            return nil, string.format("option '%s' default array must not contain holes", name)
        end
        if type(v) ~= 'string' then
            return nil, string.format("option '%s' default array item #%d must be a string", name, k)
        end
        copy[k] = v
    end

    return copy
end

--- Validates the spec. Returns the normalized option list plus the long/short lookup
-- tables, or nil and an error message.
local function compile_spec(spec)
    if type(spec) ~= 'table' then
        return nil, 'spec must be a table'
    end

    local options, names, longs, shorts = {}, {}, {}, {}

    for i = 1, #spec do
        local o = spec[i]
        if type(o) ~= 'table' then
            return nil, string.format('invalid option spec #%d', i)
        end

        local name = o.name
        if type(name) ~= 'string' or name == '' then
            return nil, string.format("option spec #%d requires a non-empty 'name'", i)
        end

        local typ = o.type
        if typ == nil then
            typ = 'boolean'
        elseif type(typ) ~= 'string' then
            return nil, string.format("option '%s' type must be a string or nil", name)
        end
        if TYPES[typ] == nil then
            return nil, string.format("option '%s' has unsupported type '%s'", name, typ)
        end

        local default = o.default
        if typ == 'array' and default ~= nil then
            local err
            default, err = copy_array_default(name, default)
            if not default then return nil, err end
        end

        if names[name] then
            return nil, string.format("option name '%s' specified multiple times", name)
        end

        local long = o.long
        if long == nil then
            long = name
        elseif type(long) ~= 'string' or long == '' then
            return nil, string.format("option '%s' has invalid long name", name)
        end
        if longs[long] then
            return nil, string.format("long option '%s' specified multiple times", long)
        end

        local short = o.short
        if short ~= nil then
            if type(short) ~= 'string' or #short ~= 1 then
                return nil, string.format("option '%s' short name must be one character", name)
            end
            if shorts[short] then
                return nil, string.format("short option '-%s' specified multiple times", short)
            end
        end

        local opt = {
            name = name,
            type = typ,
            default = default,
            required = o.required and true or false,
            takes_value = VALUE_TYPES[typ] or false,
            repeatable = TYPES[typ],
        }

        options[#options + 1] = opt
        names[name] = opt
        longs[long] = opt
        if short then shorts[short] = opt end
    end

    return options, longs, shorts
end

--- Picks the argument list and checks that every element is a string.
local function check_argv(argv)
    if argv == nil then
        -- `arg` is the script's argument table under the stand-alone interpreters;
        -- only its positive part is the command line (arg[0] is the script name).
        argv = type(arg) == 'table' and arg or {}
    elseif type(argv) ~= 'table' then
        return nil, 'argv must be a table'
    end

    for i = 1, #argv do
        if type(argv[i]) ~= 'string' then
            return nil, string.format('argument #%d must be a string', i)
        end
    end

    return argv
end

--- Stores one occurrence of `opt` into `result`. `value` is nil when the option was
-- given without a value (only legal for boolean/count, which never get one).
local function apply(result, opt, value)
    local name, typ = opt.name, opt.type

    if typ == 'boolean' or typ == 'count' then
        if value ~= nil then
            return nil, string.format("option '%s' does not take a value", name)
        end
        if typ == 'boolean' then
            result[name] = true
        else
            local cur = result[name]
            if type(cur) ~= 'number' then cur = 0 end
            result[name] = cur + 1
        end
    elseif typ == 'string' then
        result[name] = value
    elseif typ == 'array' then
        local list = result[name]
        list[#list + 1] = value
    elseif typ == 'number' then
        local n = tonumber(value)
        if not n then
            return nil, string.format("option '%s' expects a number", name)
        end
        result[name] = n
    else -- integer
        local n = tonumber(value)
        n = n and math.tointeger(n)
        if not n then
            return nil, string.format("option '%s' expects an integer", name)
        end
        result[name] = n
    end

    return true
end

--- Parses `argv` (default: the global `arg`) according to `spec`.
-- @tparam table spec array of option descriptions (`name`, `long`, `short`, `type`,
--   `default`, `required`)
-- @tparam[opt] table argv array of strings
-- @treturn table option values keyed by `name`, plus `args`, the positional arguments
-- @return nil and an error message on any problem
function M.parse_args(spec, argv)
    local options, longs, shorts = compile_spec(spec)
    if not options then return nil, longs end

    local err
    argv, err = check_argv(argv)
    if not argv then return nil, err end

    local result, args, seen = {}, {}, {}

    for _, opt in ipairs(options) do
        -- An array default is already a fresh copy made by compile_spec for this call,
        -- so values appended later never reach the caller's table.
        local v = opt.default
        if v == nil then
            if opt.type == 'boolean' then
                v = false
            elseif opt.type == 'count' then
                v = 0
            end
        end
        result[opt.name] = v
    end

    -- Records one occurrence and rejects repeats of single-use options. The repeat is
    -- reported before looking at the value, so `--name a --name` says "specified
    -- multiple times" rather than "requires a value".
    local function occur(opt)
        if seen[opt.name] and not opt.repeatable then
            return nil, string.format("option '%s' specified multiple times", opt.name)
        end
        seen[opt.name] = true
        if opt.type == 'array' and result[opt.name] == nil then
            result[opt.name] = {}
        end
        return true
    end

    local i, n = 1, #argv
    local only_positional = false

    while i <= n do
        local a = argv[i]
        i = i + 1

        if only_positional or a == '-' or a:sub(1, 1) ~= '-' then
            args[#args + 1] = a
        elseif a == '--' then
            only_positional = true
        elseif a:sub(1, 2) == '--' then
            local key, value = a:match('^%-%-([^=]*)=(.*)$')
            if not key then key = a:sub(3) end

            local opt = key ~= '' and longs[key]
            if not opt then
                return nil, string.format("unknown option '%s'", a)
            end

            local ok, e = occur(opt)
            if not ok then return nil, e end

            if opt.takes_value and value == nil then
                -- The next argument is the value, whatever it looks like.
                if i > n then
                    return nil, string.format("option '%s' requires a value", opt.name)
                end
                value = argv[i]
                i = i + 1
            end

            ok, e = apply(result, opt, value)
            if not ok then return nil, e end
        else
            -- One or more bundled short options: -abc, -ofile, -o file.
            local j = 2
            while j <= #a do
                local c = a:sub(j, j)
                local opt = shorts[c]
                if not opt then
                    return nil, string.format("unknown option '-%s'", c)
                end

                local ok, e = occur(opt)
                if not ok then return nil, e end

                local value
                if opt.takes_value then
                    if j < #a then
                        value = a:sub(j + 1)
                    elseif i <= n then
                        value = argv[i]
                        i = i + 1
                    else
                        return nil, string.format("option '%s' requires a value", opt.name)
                    end
                    j = #a -- the rest of this argument was the value
                end

                ok, e = apply(result, opt, value)
                if not ok then return nil, e end

                j = j + 1
            end
        end
    end

    for _, opt in ipairs(options) do
        if opt.required and not seen[opt.name] then
            return nil, string.format("required option '%s' is missing", opt.name)
        end
    end

    result.args = args

    return result
end

return M
