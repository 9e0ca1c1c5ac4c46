--- Buffered reading over an eco.socket or eco.ssl client that keeps the bytes read past a head
-- (the head parsers work on the buffer, the body is read from the buffer first). Internal.
local S = {}
S.__index = S

local M = {}

--- Wraps `sock`, with `buf` already received.
function M.new(sock, buf)
    return setmetatable({ sock = sock, buf = buf or '' }, S)
end

--- Reads once more from the socket into the buffer. @return true | nil, err
function S:fill(timeout)
    local d, err = self.sock:read(65536, timeout)
    if not d then return nil, err end
    self.buf = self.buf .. d
    return true
end

--- Up to `n` bytes: buffered ones first, else one socket read.
function S:read(n, timeout)
    local buf = self.buf
    if #buf > 0 then
        if #buf <= n then
            self.buf = ''
            return buf
        end
        self.buf = buf:sub(n + 1)
        return buf:sub(1, n)
    end
    return self.sock:read(n, timeout)
end

--- Exactly `n` bytes | nil, err.
function S:readfull(n, timeout)
    local buf = self.buf
    if #buf >= n then
        self.buf = buf:sub(n + 1)
        return buf:sub(1, n)
    end
    self.buf = ''
    local rest, err = self.sock:readfull(n - #buf, timeout)
    if not rest then return nil, err end
    return buf .. rest
end

--- Next line without its LF (and CR before it). `max`: longest accepted line, else nil, 'too long'.
function S:readline(timeout, max)
    local from = 1
    while true do
        local i = self.buf:find('\n', from, true)
        if i then
            local line = self.buf:sub(1, i - 1)
            self.buf = self.buf:sub(i + 1)
            if line:byte(-1) == 13 then line = line:sub(1, -2) end
            return line
        end
        from = #self.buf + 1
        if max and #self.buf > max then return nil, 'too long' end
        local ok, err = self:fill(timeout)
        if not ok then return nil, err end
    end
end

return M
