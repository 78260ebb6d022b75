using System.Collections;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using SmartLead.Gateway.Logging;

namespace SmartLead.Gateway.Benchmarks;

/// <summary>
/// The request log end to end, as Production wires it (<see cref="GatewayLoggingExtensions.AddGatewayLogging(WebApplicationBuilder)"/>):
/// one request through <see cref="RequestLoggingMiddleware"/> (with an empty rest of the pipeline) inside the scopes
/// Kestrel and ASP.NET hosting open for every request, its event through Microsoft.Extensions.Logging, Serilog, the
/// redaction and the background writer, until its JSON line has reached "stdout" (a stream that counts lines).
/// Pinned to one core, so the mean per event is the CPU of the request thread, the writer thread and the switches
/// between them together, as on the loaded machine where both share the cores with the proxy. <c>RequestLog=off</c>
/// turns the event's level off, the baseline: the difference is what the log costs per request.
/// </summary>
/// <remarks>Public and unsealed: the runner BenchmarkDotNet generates derives from it.</remarks>
[MemoryDiagnoser]
[Config(typeof(OneCore))]
public class RequestLogPipelineBenchmarks
{
    private const int Events = 20_000;

    private readonly LineCountingStream _stdout = new();
    private readonly FakeTimeProvider _stdoutClock = new();
    private WebApplication _app = null!;
    private RequestLoggingMiddleware _middleware = null!;
    private Microsoft.Extensions.Logging.ILogger _scopes = null!;
    private DefaultHttpContext _context = null!;
    private long _expectedLines;
    private TimeSpan _spacing;

    [Params("on", "off")]
    public string RequestLog { get; set; } = "on";

    [GlobalSetup]
    public void Setup()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Serilog:MinimumLevel:Default"] = "Information",
            ["Serilog:MinimumLevel:Override:SmartLead.Gateway.Logging.RequestLoggingMiddleware"] = RequestLog == "on" ? "Information" : "Warning",
        });
        builder.AddGatewayLogging(_stdout, _stdoutClock);
        builder.Services.AddSingleton(TimeProvider.System);
        _app = builder.Build();
        _middleware = ActivatorUtilities.CreateInstance<RequestLoggingMiddleware>(_app.Services, (RequestDelegate)(static _ => Task.CompletedTask));
        _scopes = _app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics");
        _context = new DefaultHttpContext();
        _context.Request.Method = "GET";
        _context.Request.Path = "/api/v1/campaigns";
        _context.Request.QueryString = new QueryString("?client_id=7");
        _context.Response.StatusCode = 200;
        _context.Connection.Id = "0HNQFK8AN75KR";
        Run();
    }

    [GlobalCleanup]
    public async Task Cleanup() => await _app.DisposeAsync();

    [Benchmark(OperationsPerInvoke = Events)]
    public void OneRequestsEvent() => Run();

    private void Run()
    {
        for (var i = 0; i < Events; i++)
        {
            // Kestrel's connection scope and ASP.NET hosting's request scope, which every request's events carry.
            using var connection = _scopes.BeginScope(new Scope("ConnectionId", _context.Connection.Id));
            using var request = _scopes.BeginScope(new Scope("RequestPath", _context.Request.Path.Value!, "RequestId", "0HNQFK8AN75KR:00000001"));
            _middleware.InvokeAsync(_context).GetAwaiter().GetResult();
            if (_spacing > TimeSpan.Zero)
            {
                var until = System.Diagnostics.Stopwatch.GetTimestamp() + (long)(_spacing.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
                while (System.Diagnostics.Stopwatch.GetTimestamp() < until)
                {
                    Thread.SpinWait(20);
                }
            }
        }

        if (RequestLog == "on")
        {
            _expectedLines += Events;
        }

        // Until every line is out: the writer's clock ticks so it need not wait the real flush interval.
        while (_stdout.Lines < _expectedLines)
        {
            _stdoutClock.Advance(TimeSpan.FromMilliseconds(50));
            Thread.Sleep(0);
        }
    }

    /// <summary>
    /// The same run measured by the process's CPU time instead of the clock (BenchmarkDotNet's figure moves with
    /// whatever else the shared machine runs), on all cores, also with the requests spaced 20 µs apart (busy work
    /// between them, as the proxy's own work spaces a loaded gateway's requests): there a writer thread that sleeps
    /// whenever its queue is empty is woken for every event, which a back-to-back run never shows.
    /// <c>dotnet run -c Release --project bench/SmartLead.Gateway.Benchmarks -- --log-cpu</c>.
    /// </summary>
    internal static void PrintCpuPerEvent(TextWriter output)
    {
        foreach (var (requestLog, spacing) in new[] { ("on", 0), ("on", 0), ("off", 0), ("on", 20), ("on", 20), ("off", 20) })
        {
            var benchmark = new RequestLogPipelineBenchmarks { RequestLog = requestLog, _spacing = TimeSpan.FromMicroseconds(spacing) };
            benchmark.Setup();
            for (var warm = 0; warm < 5; warm++)
            {
                benchmark.Run();
            }

            var process = System.Diagnostics.Process.GetCurrentProcess();
            var switches = VoluntarySwitches();
            var writerBefore = ThreadTicks("Log writer");
            process.Refresh();
            var cpu = process.TotalProcessorTime;
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            var pauses = GC.GetTotalPauseDuration();
            var (gen0, gen1, gen2) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
            var rounds = spacing == 0 ? 20 : 5;
            for (var round = 0; round < rounds; round++)
            {
                benchmark.Run();
            }

            process.Refresh();
            var events = (double)rounds * Events;
            output.WriteLine(System.FormattableString.Invariant(
                $"request log {requestLog,-3}, spaced {spacing,2} us: {(process.TotalProcessorTime - cpu).TotalMicroseconds / events,6:0.00} us CPU, {(GC.GetTotalAllocatedBytes(precise: true) - allocated) / events,6:0} B, {(VoluntarySwitches() - switches) / events,5:0.000} voluntary context switches per request; GC {GC.CollectionCount(0) - gen0}/{GC.CollectionCount(1) - gen1}/{GC.CollectionCount(2) - gen2}, paused {(GC.GetTotalPauseDuration() - pauses).TotalMilliseconds:0} ms"));
            // Clock ticks of 10 ms (USER_HZ 100); the thread is the stdout writer's, absent in the previous design.
            output.WriteLine(System.FormattableString.Invariant($"  of which the writer thread: {(ThreadTicks("Log writer") - writerBefore) * 10_000.0 / events:0.00} us"));

            benchmark.Cleanup().GetAwaiter().GetResult();
        }
    }

    private static long ThreadTicks(string name)
    {
        long total = 0;
        foreach (var task in Directory.GetDirectories("/proc/self/task"))
        {
            var stat = File.ReadAllText(Path.Combine(task, "stat"));
            var comm = stat[(stat.IndexOf('(', StringComparison.Ordinal) + 1)..stat.LastIndexOf(')')];
            if (name.StartsWith(comm, StringComparison.Ordinal) || comm.StartsWith(name, StringComparison.Ordinal))
            {
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                total += long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return total;
    }

    private static long VoluntarySwitches()
    {
        long total = 0;
        foreach (var task in Directory.GetDirectories("/proc/self/task"))
        {
            foreach (var line in File.ReadLines(Path.Combine(task, "status")))
            {
                if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal))
                {
                    total += long.Parse(line.AsSpan("voluntary_ctxt_switches:".Length).Trim(), System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }

        return total;
    }

    private sealed class OneCore : ManualConfig
    {
        // Pinned to one core the framework's precompiled code is often not replaced by tier-1 code for the whole run
        // (the event then costs 3-4x what it costs in a second host in the same process): read the allocation here and
        // the CPU from --log-cpu.
        public OneCore() => AddJob(Job.ShortRun.WithAffinity(1));
    }

    /// <summary>A log scope's state as ASP.NET's own are: a short list of name/value pairs.</summary>
    private sealed class Scope(params string[] pairs) : IReadOnlyList<KeyValuePair<string, object>>
    {
        public int Count => pairs.Length / 2;

        public KeyValuePair<string, object> this[int index] => new(pairs[2 * index], pairs[(2 * index) + 1]);

        public IEnumerator<KeyValuePair<string, object>> GetEnumerator()
        {
            for (var i = 0; i < Count; i++)
            {
                yield return this[i];
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>Stdout that keeps nothing and counts the lines written to it.</summary>
    private sealed class LineCountingStream : Stream
    {
        private long _lines;

        public long Lines => Interlocked.Read(ref _lines);

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(ReadOnlySpan<byte> buffer) => Interlocked.Add(ref _lines, buffer.Count((byte)'\n'));

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
