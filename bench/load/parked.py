#!/usr/bin/env python3
"""Parks N requests in a running gateway's budget queue and reports what the gateway process holds meanwhile.

Usage: parked.py PORT PID [N]. Opens N connections to 127.0.0.1:PORT, sends one GET on each, and, once every request
has been sent and the budget's queue holds them (it asks /status.json), reads the gateway's resident memory and thread
count from /proc/PID and prints the queue's length beside them. With GCDUMP=file, dotnet-gcdump (on PATH) then writes a
heap dump of the gateway there while they still wait; with HEAPDUMP=file, dotnet-dump writes an exact one. The gateway
must be started with a budget that admits them all and serves next to none for the duration (see parked.sh). Bounded:
it gives up parking after 120 s, a heap dump may take up to 120 s (GCDUMP) or 300 s (HEAPDUMP) more, and it closes
every connection before it exits.
"""
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
import urllib.request


def proc_status(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            fields[name] = value.strip()
    return fields


def queue_length(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/status.json", timeout=10) as answer:
        return json.load(answer)["budget"]["queue"]["length"]


async def settled(port, count, deadline):
    """Waits until the budget's queue holds the requests sent (a few may have been served or be on their way)."""
    length = await asyncio.to_thread(queue_length, port)
    while length < count - 20 and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        length = await asyncio.to_thread(queue_length, port)
    return length


async def park(port, count, deadline):
    writers = []
    request = b"GET /api/v1/campaigns HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    for _ in range(count):
        if time.monotonic() > deadline:
            break
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request)
        writers.append(writer)
        if len(writers) % 500 == 0:
            await asyncio.gather(*(w.drain() for w in writers[-500:]))
    await asyncio.gather(*(w.drain() for w in writers))
    return writers


def dump(command, timeout):
    """Runs a dump tool; one that is missing or too slow is reported, and the figures above still stand."""
    try:
        subprocess.run(command, check=False, timeout=timeout)
    except FileNotFoundError:
        print(f"{command[0]} not found on PATH (dotnet tool install -g {command[0]}); no dump written")
    except subprocess.TimeoutExpired:
        print(f"{command[0]} took over {timeout} s; the dump may be incomplete")


async def main():
    port, pid = int(sys.argv[1]), int(sys.argv[2])
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 10_000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count + 1024), hard))

    idle = proc_status(pid)
    deadline = time.monotonic() + 120
    writers = await park(port, count, deadline)
    queued = await settled(port, len(writers), deadline)
    await asyncio.sleep(3)  # and the GC settle
    held = proc_status(pid)
    print(f"parked requests: {len(writers)} sent, {queued} in the budget's queue")
    print(f"idle:   RSS {int(idle['VmRSS'].split()[0]) // 1024} MB, threads {idle['Threads']}")
    print(f"parked: RSS {int(held['VmRSS'].split()[0]) // 1024} MB (peak {int(held['VmHWM'].split()[0]) // 1024} MB), threads {held['Threads']}")
    per = (int(held['VmRSS'].split()[0]) - int(idle['VmRSS'].split()[0])) / max(1, len(writers))
    print(f"per parked request: {per:.1f} KB")
    if os.environ.get("GCDUMP"):
        # A heap dump while they still wait, to see what each one holds (after the figures: the dump's full GC and
        # its own working set would change them).
        dump(["dotnet-gcdump", "collect", "-p", str(pid), "-o", os.environ["GCDUMP"]], 120)
    if os.environ.get("HEAPDUMP"):
        # The whole heap, exact where dotnet-gcdump's event stream is lossy on .NET 10; read it with
        # "dotnet-dump analyze FILE -c 'dumpheap -stat'". A few hundred MB, and tens of seconds to write.
        dump(["dotnet-dump", "collect", "-p", str(pid), "--type", "Heap", "-o", os.environ["HEAPDUMP"]], 300)
    for writer in writers:
        writer.close()


asyncio.run(main())
