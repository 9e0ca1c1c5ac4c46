-- eco.shared across sys.spawn (spec/shared.md checklist 16): the child sees the parent's keys and
-- the parent sees the child's. The child also uses the handle it inherited from the parent (same
-- open file description, so the same flock: the handle reopens the file after a fork) while
-- the parent increments the same counter: no update may be lost, and the child's close() of the
-- inherited owner handle must not remove the dictionary.
local eco = require 'eco'
local T = require 'testlib'
local shared = require 'eco.shared'
local sys = require 'eco.sys'

local N = 2000

T.go(function()
    eco.sleep(0)
    local name = 'ecotest-spawn-' .. sys.getpid()
    local d = T.ok(shared.new(name, 4096))
    d:set('from_parent', 'hello child')
    d:set('c', 0)

    local pid = sys.spawn(function()
        local g = assert(shared.get(name))
        assert(g:set('child_saw', g:get('from_parent')))
        assert(d:get('from_parent') == 'hello child', 'inherited handle reads')
        for _ = 1, N do assert(d:incr('c', 1)) end
        d:close() -- the inherited owner handle: must not remove the file
        assert(g:set('from_child', 'hello parent'))
        assert(g:set('child_done', true))
        g:close()
    end)
    T.ok(math.type(pid) == 'integer' and pid > 0, 'spawn returned a pid')
    for _ = 1, N do T.ok(d:incr('c', 1)) end

    T.wait_until(function() return d:get('child_done') end, 20, 'the child to finish')
    T.eq(d:get('child_saw'), 'hello child', '16: the child saw the parent key')
    T.eq(d:get('from_child'), 'hello parent', '16: the parent sees the child key')
    T.eq(d:get('c'), 2 * N, 'no lost update between parent and child on the inherited handle')
    local peer = T.ok(shared.get(name), "the child's close did not remove the dictionary")
    peer:close()
    d:close()
    T.fails('No such file or directory', shared.get(name))
end)
