from . import codec, fsync, order_path, report_path, roundtrip


def main() -> int:
    codec.main()
    servers, client = roundtrip.cores()
    where = f"servers on CPU {min(servers)}, client on CPU {min(client)}" if servers else "one CPU: not pinned"
    print("\nround trip NewOrderSingle -> ExecutionReport on loopback (one client process, not the code under test, "
          f"alternating between the servers in blocks; {where})")
    rec = roundtrip.run()
    print(rec.table("us"))
    p = [rec.percentiles(h) for h in rec.hops]
    for title, floor, ours in (("neither spins", p[0], p[1]), ("both spin-wait (SpinMicros)", p[2], p[3])):
        print(f"p50 ratio to the TCP floor, {title}: {ours['p50'] / floor['p50']:.2f}x "
              f"(p99 {ours['p99'] / floor['p99']:.2f}x, p99.9 {ours['p99.9'] / floor['p99.9']:.2f}x)")
    fsync.main()
    order_path.main()
    report_path.main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
