-- eco.cli: successful parsing (spec/cli.md checklist 1-5, 9 and section 1.3/1.4 details).
-- eco.cli is pure and synchronous, so assertions run at top level (no T.go).
local T = require 'testlib'
local cli = require 'eco.cli'

local function same_list(got, expected, msg)
    T.eq(type(got), 'table', msg)
    T.eq(#got, #expected, (msg or '') .. ' length')
    for i = 1, #expected do T.eq(got[i], expected[i], (msg or '') .. ' #' .. i) end
end

-- 1. full example with every type
do
    local spec = {
        { name = 'name', type = 'string', short = 'n', required = true },
        { name = 'dry_run', long = 'dry-run' },
        { name = 'quiet', short = 'q' },
        { name = 'verbose', type = 'count', short = 'v', default = 0 },
        { name = 'include', type = 'array', short = 'I' },
        { name = 'port', type = 'integer', default = 80 },
        { name = 'ratio', type = 'number' },
        { name = 'level', type = 'integer', default = 3 },
    }
    local argv = { '-vv', '-I', 'src', '--include=lib', '--dry-run', '--name', 'demo',
                   '--port=8080.0', '--ratio', '1.5', 'pos1', '--', '--literal', '-x' }
    local o, err = cli.parse_args(spec, argv)
    T.ok(o, err)
    T.eq(o.name, 'demo')
    T.eq(o.dry_run, true)
    T.eq(o.quiet, false)
    T.eq(o.verbose, 2)
    same_list(o.include, { 'src', 'lib' }, 'include')
    T.eq(o.port, 8080)
    T.eq(math.type(o.port), 'integer')
    T.eq(o.ratio, 1.5)
    T.eq(o.level, 3)
    same_list(o.args, { 'pos1', '--literal', '-x' }, 'args')
    -- argv is not modified
    T.eq(#argv, 14)
end

-- 2. bundled short options and attached value
do
    local o, err = cli.parse_args({
        { name = 'alpha', short = 'a' },
        { name = 'beta', short = 'b' },
        { name = 'count', short = 'c', type = 'count' },
        { name = 'output', short = 'o', type = 'string' },
    }, { '-abc', '-ofile' })
    T.ok(o, err)
    T.eq(o.alpha, true)
    T.eq(o.beta, true)
    T.eq(o.count, 1)
    T.eq(o.output, 'file')
    same_list(o.args, {}, 'args')
end

-- 3. array default is copied, new values appended after it
do
    local default = { 'base' }
    local spec = { { name = 'include', short = 'I', type = 'array', default = default } }
    local o, err = cli.parse_args(spec, { '-Iextra' })
    T.ok(o, err)
    same_list(o.include, { 'base', 'extra' }, 'include')
    T.eq(#default, 1)
    T.eq(default[1], 'base')
    T.ok(o.include ~= default, 'result list is a copy')
    -- without occurrences the result still is a copy
    local o2 = assert(cli.parse_args(spec, {}))
    same_list(o2.include, { 'base' }, 'include copy')
    T.ok(o2.include ~= default, 'unused default is a copy')
    -- and a second parse starts again from the default
    local o3 = assert(cli.parse_args(spec, { '--include', 'x', '--include=y' }))
    same_list(o3.include, { 'base', 'x', 'y' }, 'include again')
end

-- 4. argv omitted: the global `arg` (1..#arg only)
do
    local saved = arg
    arg = { [0] = 'prog', [-1] = 'lua', '--name=bob', 'file' }
    local o, err = cli.parse_args({ { name = 'name', type = 'string' } })
    arg = saved
    T.ok(o, err)
    T.eq(o.name, 'bob')
    same_list(o.args, { 'file' }, 'args')
end

-- 5. argv omitted and no global `arg`
do
    local saved = arg
    arg = nil
    local o, err = cli.parse_args({})
    arg = saved
    T.ok(o, err)
    same_list(o.args, {}, 'args')
    -- explicit nil argv behaves the same
    arg = nil
    o = cli.parse_args({}, nil)
    arg = saved
    same_list(o.args, {}, 'args nil')
end

-- 9. '-' alone is positional; '-5' is an unknown short option
do
    local o, err = cli.parse_args({ { name = 'x', short = 'x' } }, { '-', 'a', '-x', 'b' })
    T.ok(o, err)
    T.eq(o.x, true)
    same_list(o.args, { '-', 'a', 'b' }, 'args')
    T.same({ nil, "unknown option '-5'" }, cli.parse_args({ { name = 'num', type = 'number', long = 'n' } }, { '-5' }))
end

-- 1.3 initial values: boolean false, count 0, others absent; defaults used as given
do
    local o = assert(cli.parse_args({
        { name = 'b' }, { name = 'c', type = 'count' }, { name = 's', type = 'string' },
        { name = 'n', type = 'number' }, { name = 'i', type = 'integer' }, { name = 'a', type = 'array' },
        { name = 'sd', type = 'string', default = 'dflt' }, { name = 'bd', default = true },
        { name = 'cd', type = 'count', default = 5 },
    }, {}))
    T.eq(o.b, false)
    T.eq(o.c, 0)
    T.eq(o.s, nil)
    T.eq(o.n, nil)
    T.eq(o.i, nil)
    T.eq(o.a, nil)
    T.eq(o.sd, 'dflt')
    T.eq(o.bd, true)
    T.eq(o.cd, 5)
end

-- 1.4 count starts from its default; array without default collects values
do
    local o = assert(cli.parse_args({
        { name = 'verbose', short = 'v', type = 'count', default = 1 },
        { name = 'peer', type = 'array' },
    }, { '-vvv', '--verbose', '--peer=a', '--peer', 'b' }))
    T.eq(o.verbose, 5)
    same_list(o.peer, { 'a', 'b' }, 'peer')
end

-- 1.4 value forms: next argument taken even if it starts with '-', '--k=' is the empty string,
-- the rest of a short bundle is the value, the next argument follows a bare short option
do
    local spec = {
        { name = 'out', short = 'o', type = 'string' },
        { name = 'flag', short = 'f' },
        { name = 'num', type = 'number' },
        { name = 'int', type = 'integer' },
    }
    local o = assert(cli.parse_args(spec, { '--out', '-f' }))
    T.eq(o.out, '-f')
    T.eq(o.flag, false)
    o = assert(cli.parse_args(spec, { '--out=' }))
    T.eq(o.out, '')
    o = assert(cli.parse_args(spec, { '-fo', 'x=y' }))
    T.eq(o.flag, true)
    T.eq(o.out, 'x=y')
    o = assert(cli.parse_args(spec, { '-fo--' }))
    T.eq(o.out, '--')
    o = assert(cli.parse_args(spec, { '--out=a=b' }))
    T.eq(o.out, 'a=b')
    o = assert(cli.parse_args(spec, { '--out', '--' }))
    T.eq(o.out, '--')
    same_list(o.args, {}, 'args after value --')
    -- Lua numerals
    o = assert(cli.parse_args(spec, { '--num=1e3', '--int', '0x10' }))
    T.eq(o.num, 1000)
    T.eq(o.int, 16)
    T.eq(math.type(o.int), 'integer')
    o = assert(cli.parse_args(spec, { '--num', '-2.5' }))
    T.eq(o.num, -2.5)
end

-- 1.4 interleaving and '--' handling
do
    local o = assert(cli.parse_args({ { name = 'x' } }, { 'a', '--x', 'b', '--', '--x', '-' }))
    T.eq(o.x, true)
    same_list(o.args, { 'a', 'b', '--x', '-' }, 'args')
    o = assert(cli.parse_args({}, { '--', '--' }))
    same_list(o.args, { '--' }, 'second -- is positional')
end

-- 1.1 long defaults to name; an explicit long replaces it
do
    local spec = { { name = 'dry_run', long = 'dry-run' } }
    T.eq(assert(cli.parse_args(spec, { '--dry-run' })).dry_run, true)
    T.same({ nil, "unknown option '--dry_run'" }, cli.parse_args(spec, { '--dry_run' }))
end

-- 2. the example of the spec
do
    local o = assert(cli.parse_args({
        { name = 'listen', short = 'l', type = 'string', default = '0.0.0.0' },
        { name = 'port', short = 'p', type = 'integer', required = true },
        { name = 'verbose', short = 'v', type = 'count' },
        { name = 'peer', type = 'array' },
        { name = 'dry_run', long = 'dry-run' },
    }, { '-vv', '-p', '9000', '--peer=a', '--peer', 'b', '--dry-run', 'extra' }))
    T.eq(o.listen, '0.0.0.0')
    T.eq(o.port, 9000)
    T.eq(o.verbose, 2)
    T.eq(#o.peer, 2)
    T.eq(o.dry_run, true)
    T.eq(#o.args, 1)
end

print('ok')
