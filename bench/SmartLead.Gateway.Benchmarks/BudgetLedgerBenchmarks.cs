using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using SmartLead.Gateway.Budget;

namespace SmartLead.Gateway.Benchmarks;

/// <summary>
/// What one permit costs on the request path: the whole budget (waiting room and ledger) granting a free permit
/// and the attempt releasing it, with the ledger in memory and in a real redis-server on loopback (started here on
/// a free port; <c>redis-server</c> must be on the PATH). Limits are far above the load so every ask is granted:
/// the figure is the bookkeeping, not waiting. With Redis a grant is one script round trip; the release is sent
/// without waiting for it (it shares the connection, so it is paid in the pipeline, not on the caller's path).
/// </summary>
/// <remarks>Public and unsealed: the runner BenchmarkDotNet generates derives from it.</remarks>
[MemoryDiagnoser]
[ShortRunJob]
public class BudgetLedgerBenchmarks
{
    private Process? _redis;
    private UpstreamBudget _memory = null!;
    private UpstreamBudget _shared = null!;

    [GlobalSetup]
    public void Setup()
    {
        var options = new RateLimitOptions
        {
            Plan = BudgetPlan.Custom,
            TokenLimit = 1_000_000,
            TokensPerPeriod = 1_000_000,
            ReplenishmentPeriod = TimeSpan.FromMilliseconds(1),
            Windows =
            [
                new() { PermitLimit = 1_000_000, Window = TimeSpan.FromSeconds(1) },
                new() { PermitLimit = 1_000_000, Window = TimeSpan.FromMinutes(1) },
                new() { PermitLimit = 1_000_000, Window = TimeSpan.FromHours(1) },
            ],
        };
        var limits = BudgetPlans.Resolve(options);
        _memory = new UpstreamBudget(options, TimeProvider.System, NullLogger<UpstreamBudget>.Instance);

        var port = FreePort();
        _redis = Process.Start(new ProcessStartInfo("redis-server", $"--port {port} --bind 127.0.0.1 --save \"\" --appendonly no")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("redis-server did not start");
        WaitForPort(port);
        var ledger = new RedisPermitLedger($"127.0.0.1:{port}", limits, 2, TimeProvider.System, NullLogger.Instance);
        if (!ledger.Reachable)
        {
            throw new InvalidOperationException("redis-server did not answer");
        }

        options.Store = BudgetStore.Redis;
        _shared = new UpstreamBudget(options, ledger, TimeProvider.System, NullLogger.Instance, null);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _memory.Dispose();
        _shared.Dispose();
        _redis?.Kill();
        _redis?.Dispose();
    }

    [Benchmark(Baseline = true)]
    public async Task<bool> MemoryLedger()
    {
        using var lease = await _memory.AcquireAsync();
        return lease.IsAcquired;
    }

    [Benchmark]
    public async Task<bool> RedisLedger()
    {
        using var lease = await _shared.AcquireAsync();
        return lease.IsAcquired;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void WaitForPort(int port)
    {
        var started = Stopwatch.StartNew();
        while (started.Elapsed < TimeSpan.FromSeconds(20))
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(50);
            }
        }

        throw new InvalidOperationException($"redis-server did not listen on {port}");
    }
}
