-- eco.cli: error reporting (spec/cli.md checklist 6-8 and the tables of section 1).
-- eco.cli is pure and synchronous, so assertions run at top level (no T.go).
local T = require 'testlib'
local cli = require 'eco.cli'

-- Asserts `nil, message` (exactly two values) with the message containing `substr`.
local function fails(substr, ok, err, ...)
    T.eq(ok, nil, 'expected failure ' .. substr)
    T.eq(select('#', ...), 0, 'extra values')
    T.eq(type(err), 'string')
    if not err:find(substr, 1, true) then
        error(string.format('message %q does not contain %q', err, substr), 2)
    end
end

local spec = {
    { name = 'name', type = 'string', short = 'n' },
    { name = 'port', type = 'integer' },
    { name = 'ratio', type = 'number' },
    { name = 'flag' },
    { name = 'verbose', type = 'count', short = 'v' },
    { name = 'must', type = 'string', required = true, default = 'dflt' },
}

-- 6. argument errors
fails("unknown option '--unknown'", cli.parse_args(spec, { '--unknown', '--must=1' }))
fails("unknown option '--foo=1'", cli.parse_args(spec, { '--foo=1' }))
fails("unknown option '--=1'", cli.parse_args(spec, { '--=1' }))
fails("unknown option '--='", cli.parse_args(spec, { '--=' }))
fails("option 'name' requires a value", cli.parse_args(spec, { '--must=1', '--name' }))
fails("option 'name' requires a value", cli.parse_args(spec, { '--must=1', '-n' }))
fails("option 'port' expects an integer", cli.parse_args(spec, { '--port', 'x' }))
fails("option 'port' expects an integer", cli.parse_args(spec, { '--port=1.5' }))
fails("option 'ratio' expects a number", cli.parse_args(spec, { '--ratio=' }))
fails("option 'ratio' expects a number", cli.parse_args(spec, { '--ratio', 'abc' }))
fails("option 'name' specified multiple times", cli.parse_args(spec, { '--name', 'a', '--name', 'b' }))
fails("option 'name' specified multiple times", cli.parse_args(spec, { '--name', 'a', '-nb' }))
fails("option 'flag' specified multiple times", cli.parse_args(spec, { '--flag', '--flag' }))
fails("option 'port' specified multiple times", cli.parse_args(spec, { '--port=1', '--port=2' }))
fails("option 'ratio' specified multiple times", cli.parse_args(spec, { '--ratio=1', '--ratio=2' }))
fails("option 'flag' does not take a value", cli.parse_args(spec, { '--flag=true' }))
fails("option 'verbose' does not take a value", cli.parse_args(spec, { '--verbose=1' }))
fails("unknown option '-z'", cli.parse_args(spec, { '-z' }))
fails("unknown option '-z'", cli.parse_args(spec, { '-vz' }))
fails("required option 'must' is missing", cli.parse_args(spec, {}))
-- a repeated count is fine, and the required option only needs to appear once
local o = assert(cli.parse_args(spec, { '-vv', '--verbose', '--must', 'x' }))
T.eq(o.verbose, 3)
T.eq(o.must, 'x')
-- the first missing required option (in spec order) is reported
fails("required option 'a' is missing", cli.parse_args({
    { name = 'a', type = 'string', required = true },
    { name = 'b', type = 'string', required = true },
}, {}))

-- 7. spec errors
fails('one character', cli.parse_args({ { name = 'x', short = 'xx' } }, {}))
fails("option 'x' short name must be one character", cli.parse_args({ { name = 'x', short = '' } }, {}))
fails("option 'x' short name must be one character", cli.parse_args({ { name = 'x', short = 1 } }, {}))
fails("option 'x' type must be a string or nil", cli.parse_args({ { name = 'x', type = true } }, {}))
fails("option 'x' default must be an array table",
    cli.parse_args({ { name = 'x', type = 'array', default = 'base' } }, {}))
fails("option 'x' default must be an array table",
    cli.parse_args({ { name = 'x', type = 'array', default = { k = 'v' } } }, {}))
fails("option 'x' default array item #2 must be a string",
    cli.parse_args({ { name = 'x', type = 'array', default = { 'base', 1 } } }, {}))
fails("option 'x' default array must not contain holes",
    cli.parse_args({ { name = 'x', type = 'array', default = { [1] = 'base', [3] = 'extra' } } }, {}))
fails('spec must be a table', cli.parse_args('x', {}))
fails('invalid option spec #2', cli.parse_args({ { name = 'a' }, 'b' }, {}))
fails("option spec #1 requires a non-empty 'name'", cli.parse_args({ {} }, {}))
fails("option spec #1 requires a non-empty 'name'", cli.parse_args({ { name = '' } }, {}))
fails("option spec #1 requires a non-empty 'name'", cli.parse_args({ { name = 5 } }, {}))
fails("option 'x' has unsupported type 'float'", cli.parse_args({ { name = 'x', type = 'float' } }, {}))
fails("option name 'x' specified multiple times", cli.parse_args({ { name = 'x' }, { name = 'x', long = 'y' } }, {}))
fails("option 'x' has invalid long name", cli.parse_args({ { name = 'x', long = '' } }, {}))
fails("option 'x' has invalid long name", cli.parse_args({ { name = 'x', long = 3 } }, {}))
fails("long option 'x' specified multiple times", cli.parse_args({ { name = 'x' }, { name = 'y', long = 'x' } }, {}))
fails("short option '-s' specified multiple times",
    cli.parse_args({ { name = 'x', short = 's' }, { name = 'y', short = 's' } }, {}))
-- validation order inside one option: type before name duplication
fails("option 'x' type must be a string or nil", cli.parse_args({ { name = 'x' }, { name = 'x', type = 1 } }, {}))

-- 8. argv errors
T.same({ nil, 'argv must be a table' }, cli.parse_args({}, 'x'))
T.same({ nil, 'argument #1 must be a string' }, cli.parse_args({}, { 1 }))
T.same({ nil, 'argument #2 must be a string' }, cli.parse_args({}, { 'a', true }))
-- a bad global `arg` element is reported the same way
do
    local saved = arg
    arg = { [0] = 'prog', 'ok', 7 }
    local r = { cli.parse_args({}) }
    arg = saved
    T.eq(r[1], nil)
    T.eq(r[2], 'argument #2 must be a string')
end

-- never raises on bad input
T.ok(pcall(cli.parse_args, nil))
T.ok(pcall(cli.parse_args, {}, { {} }))

print('ok')
