# The host side of bench/net.sh: talks HTTP/1.0 to busybox httpd in a
# container through 127.0.0.1:PORT. Prints "gbps MEDIAN" for downloads of
# /big and "rtt_us MEDIAN P90" for requests of the one-byte /s (connect,
# request, response, close).
import socket, statistics, sys, time

port, runs, requests = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])

def get(path):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(f"GET {path} HTTP/1.0\r\n\r\n".encode())
    buf, total = bytearray(1 << 20), 0
    while (n := s.recv_into(buf)) > 0:
        total += n
    s.close()
    return total

deadline = time.time() + 20
while True:
    try:
        if get("/s") > 0:
            break
    except OSError:
        pass
    if time.time() > deadline:
        sys.exit("net-client: the container's httpd never answered")
    time.sleep(0.1)

rates = []
for _ in range(runs):
    t = time.perf_counter()
    n = get("/big")
    rates.append(n * 8 / (time.perf_counter() - t) / 1e9)
rtts = []
for _ in range(requests):
    t = time.perf_counter()
    get("/s")
    rtts.append((time.perf_counter() - t) * 1e6)
rtts.sort()
print(f"gbps {statistics.median(rates):.2f}")
print(f"rtt_us {statistics.median(rtts):.0f} {rtts[int(len(rtts) * 0.9)]:.0f}")
