#!/usr/bin/python3
"""SMTP sink for memberdesk's SMTP tests, on loopback only.

Every accepted message is written to DIR/NNNNNN.eml exactly as received
(after the SMTP dot-unstuffing the protocol defines), with DIR/NNNNNN.env
holding the envelope sender, the recipients and the client's port (which
tells connections apart). The .eml file appears last, by rename.

Recipients whose local part starts with "reject" get 550, "tempfail" 451;
"dataerr" is accepted but the message is refused with 554 after DATA.
After a message to a "dropnext" recipient, the next MAIL FROM on that
connection is answered by closing it without a reply, as a server that
times out an idle connection just as the client reuses it.
The bound port is written to --port-file once the server listens.
--cert/--key offer STARTTLS; with --implicit-tls the listener is SMTPS.
--auth USER:PASS requires AUTH (PLAIN or LOGIN, allowed without TLS here).
"""
import argparse
import asyncio
import logging
import os
import ssl
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult


class Handler:
    def __init__(self, outdir):
        self.outdir = outdir
        self.seq = 0

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if getattr(session, 'drop_next', False):
            server.transport.abort()
            return '421 4.4.2 closing'
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return '250 OK'

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split('@')[0].lower()
        if local.startswith('reject'):
            return '550 5.1.1 mailbox unavailable'
        if local.startswith('tempfail'):
            return '451 4.3.0 try again later'
        envelope.rcpt_tos.append(address)
        return '250 OK'

    async def handle_DATA(self, server, session, envelope):
        if any(r.split('@')[0].lower().startswith('dataerr') for r in envelope.rcpt_tos):
            return '554 5.6.0 content refused'
        if any(r.split('@')[0].lower().startswith('dropnext') for r in envelope.rcpt_tos):
            session.drop_next = True
        self.seq += 1
        base = os.path.join(self.outdir, '%06d' % self.seq)
        with open(base + '.env', 'w') as f:
            f.write('%s\n%s\n%d\n' % (envelope.mail_from, ','.join(envelope.rcpt_tos),
                                      session.peer[1]))
        with open(base + '.tmp', 'wb') as f:
            f.write(envelope.original_content)
        os.rename(base + '.tmp', base + '.eml')
        return '250 2.0.0 accepted'


async def main():
    # Plain AUTH is deliberate here; keep the test logs free of its warnings.
    warnings.simplefilter('ignore')
    logging.getLogger('mail.log').setLevel(logging.CRITICAL)
    ap = argparse.ArgumentParser()
    ap.add_argument('--dir', required=True)
    ap.add_argument('--port-file', required=True)
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--cert')
    ap.add_argument('--key')
    ap.add_argument('--implicit-tls', action='store_true')
    ap.add_argument('--auth')
    args = ap.parse_args()

    ctx = None
    if args.cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.cert, args.key)
    handler = Handler(args.dir)
    kw = {'hostname': 'sink.test'}
    if ctx is not None and not args.implicit_tls:
        kw['tls_context'] = ctx
    if args.auth:
        user, password = args.auth.encode().split(b':', 1)

        def check(server, session, envelope, mechanism, auth_data):
            # handled=False: aiosmtpd itself answers 235 or 535.
            return AuthResult(success=auth_data.login == user and
                              auth_data.password == password, handled=False)
        kw.update(authenticator=check, auth_required=True, auth_require_tls=False)

    def factory():
        return SMTP(handler, **kw)

    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, host='127.0.0.1', port=args.port,
                                      ssl=ctx if args.implicit_tls else None,
                                      reuse_address=True)
    port = server.sockets[0].getsockname()[1]
    tmp = args.port_file + '.tmp'
    with open(tmp, 'w') as f:
        f.write('%d\n' % port)
    os.rename(tmp, args.port_file)
    async with server:
        await server.serve_forever()


if __name__ == '__main__':
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
