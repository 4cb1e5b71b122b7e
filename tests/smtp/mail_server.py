"""A real SMTP server on 127.0.0.1 for Ito's tests (aiosmtpd, installed by `cargo xtask setup`).

Every message it accepts is written to --dir as NNNN.json: the envelope's sender and
recipients, the message as received, and its subject and text decoded (quoted-printable,
base64, encoded words) by Python's own email parser. Recipients whose address starts with "refused" get a
permanent 550, as a mail server answers for a mailbox that does not exist. It prints
"listening" once it accepts connections and runs until it is killed.
"""

import argparse
import email
import email.policy
import itertools
import json
import pathlib
import signal
import sys

from aiosmtpd.controller import Controller


class Keep:
    def __init__(self, folder):
        self.folder = pathlib.Path(folder)
        self.numbers = itertools.count(1)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refused"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        number = next(self.numbers)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        kept = {
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "data": envelope.content.decode("utf-8", "replace"),
            "subject": str(message["subject"]),
            "content_type": message.get_content_type(),
            "body": message.get_content(),
        }
        partial = self.folder / f"{number:04}.part"
        partial.write_text(json.dumps(kept), encoding="utf-8")
        partial.rename(self.folder / f"{number:04}.json")
        return "250 Message accepted"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    options = parser.parse_args()
    controller = Controller(Keep(options.dir), hostname="127.0.0.1", port=options.port)
    controller.start()
    print("listening", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    controller.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
