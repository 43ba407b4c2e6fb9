#!/usr/bin/env python3
"""Runs a command on a pseudo-terminal and answers its password prompts, as a user would.

pty_password.py PASSWORD_FILE TRANSCRIPT -- COMMAND...

Each time the command writes "Password for " (ckimg's prompt), the password (the first line of
PASSWORD_FILE) is typed once the prompt is complete; typing ahead would let the terminal echo
it. Writes what the command wrote to TRANSCRIPT, prints the number of prompts on stdout and
exits with the command's status (124 when it runs longer than 120 s).
"""
import os
import pty
import select
import sys
import time

PROMPT = b"Password for "


def main():
    password_file, transcript = sys.argv[1], sys.argv[2]
    command = sys.argv[sys.argv.index("--") + 1:]
    with open(password_file, "rb") as f:
        password = f.readline().rstrip(b"\n")
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    output = b""
    answered = 0
    deadline = time.monotonic() + 120
    status = None
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: the command closed the terminal (it exited)
                data = b""
            if not data:
                break
            output += data
        # A complete prompt ("Password for USER: ") not yet answered: answer it.
        if output.count(PROMPT) > answered and output.rstrip().endswith(b":"):
            answered += 1
            os.write(fd, password + b"\n")
    else:
        os.kill(pid, 9)
        status = 124
    _, wait_status = os.waitpid(pid, 0)
    if status is None:
        status = os.waitstatus_to_exitcode(wait_status)
    with open(transcript, "wb") as f:
        f.write(output)
    print(output.count(PROMPT))
    sys.exit(status if status >= 0 else 128 - status)


if __name__ == "__main__":
    main()
