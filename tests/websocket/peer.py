#!/usr/bin/env python3
"""Python `websockets` peer for tests/websocket/python.lua (works with Debian's 10.x and pip's 1x.x).

  peer.py server [certfile keyfile]   echo server on 127.0.0.1:<ephemeral>; prints "port N"
  peer.py client URI                  runs a scripted session against our server, prints results
"""
import asyncio
import ssl
import sys

import websockets


async def echo(ws, *args):
    try:
        async for msg in ws:
            if msg == 'close-me':
                await ws.close(4000, 'server bye')
                return
            await ws.send(msg)
    except websockets.ConnectionClosed:
        pass


async def server(argv):
    ctx = None
    if len(argv) >= 2:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(argv[0], argv[1])
    async with websockets.serve(echo, '127.0.0.1', 0, ssl=ctx, max_size=1 << 20) as srv:
        port = list(srv.sockets)[0].getsockname()[1]
        print('port', port, flush=True)
        await asyncio.sleep(60)  # the test stops us with SIGTERM


async def client(argv):
    uri = argv[0]
    kw = {}
    if uri.startswith('wss:'):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        kw['ssl'] = ctx
    async with websockets.connect(uri, subprotocols=['chat'], max_size=1 << 20, **kw) as ws:
        print('subprotocol', ws.subprotocol, flush=True)
        await ws.send('hello')
        print('text', await ws.recv(), flush=True)
        await ws.send(b'\x00\x01\x02' * 1000)
        r = await ws.recv()
        print('binary', type(r).__name__, len(r), r == b'\x00\x01\x02' * 1000, flush=True)
        pong = await ws.ping(b'probe')
        await asyncio.wait_for(pong, 10)
        print('pong ok', flush=True)
        await ws.send(['frag1-', 'frag2-', 'frag3'])  # one fragmented text message
        print('frag', await ws.recv(), flush=True)
        await ws.close(1000, 'done')
        code = getattr(ws, 'close_code', None)
        reason = getattr(ws, 'close_reason', None)
        print('closed', code, reason, flush=True)


if __name__ == '__main__':
    mode = sys.argv[1]
    asyncio.run(server(sys.argv[2:]) if mode == 'server' else client(sys.argv[2:]))
