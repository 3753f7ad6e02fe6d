#!/usr/bin/python3
"""Runs a command under the system call filter a systemd unit declares, the way systemd applies it.

usage: under_unit_syscall_filter.py UNIT -- COMMAND [ARGS...]

Reads every SystemCallFilter= line of UNIT in order, expands @groups with `systemd-analyze
syscall-filter` (recursively), applies systemd.exec(5)'s rules (the first line decides whether it is an
allow list; later lines add to or remove from it) and SystemCallErrorNumber=, loads the result with
libseccomp and execs COMMAND. Used by the deployment tests where systemd itself is not PID 1.
"""
import errno
import os
import subprocess
import sys

import seccomp

def group_members(name, cache={}):
    if name not in cache:
        text = subprocess.run(["systemd-analyze", "syscall-filter", "--no-pager", name], check=True, capture_output=True, text=True).stdout
        members = set()
        for line in text.splitlines()[1:]:
            entry = line.strip()
            if not entry or entry.startswith("#"):
                continue
            members |= group_members(entry) if entry.startswith("@") else {entry}
        cache[name] = members
    return cache[name]

def expand(tokens):
    calls = set()
    for token in tokens:
        calls |= group_members(token) if token.startswith("@") else {token}
    return calls

def main():
    unit, separator, command = sys.argv[1], sys.argv[2], sys.argv[3:]
    assert separator == "--" and command, __doc__
    allow_list = None
    calls = set()
    error_number = None
    for line in open(unit):
        key, _, value = line.strip().partition("=")
        if key == "SystemCallErrorNumber":
            error_number = getattr(errno, value)
        if key != "SystemCallFilter":
            continue
        deny = value.startswith("~")
        tokens = value.lstrip("~").split()
        if allow_list is None:
            allow_list = not deny
            calls = expand(tokens)
        elif allow_list != deny:
            calls |= expand(tokens)
        else:
            calls -= expand(tokens)
    assert allow_list, "the unit's filter is expected to be an allow list (@system-service first)"
    # systemd kills on a denied call unless SystemCallErrorNumber= says which error to return.
    default = seccomp.ERRNO(error_number) if error_number else seccomp.KILL_PROCESS
    rules = seccomp.SyscallFilter(defaction=default)
    for call in sorted(calls):
        try:
            rules.add_rule(seccomp.ALLOW, call)
        except (RuntimeError, ValueError, OSError):
            pass  # not a call of this architecture
    rules.load()
    os.execv(command[0], command)

main()
