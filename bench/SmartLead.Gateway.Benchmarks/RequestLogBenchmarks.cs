using BenchmarkDotNet.Attributes;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Compact;
using SmartLead.Gateway.Credentials;
using SmartLead.Gateway.Logging;

namespace SmartLead.Gateway.Benchmarks;

/// <summary>
/// The hot pieces of the request log, one request's worth each: the redaction check every event passes (a clean
/// request-log event through <see cref="RedactingSink"/>), one key check of a short text (as for each log property
/// and each answer header), and writing the event as a compact JSON line, by <see cref="CompactJsonLines"/> into the
/// stdout writer's block and, for comparison, by Serilog's formatter through a buffered <see cref="StreamWriter"/>
/// (the previous way; a discarding stream stands for stdout). The goal is no allocation beyond the event itself.
/// </summary>
/// <remarks>Public and unsealed: the runner BenchmarkDotNet generates derives from it.</remarks>
[MemoryDiagnoser]
[ShortRunJob]
public class RequestLogBenchmarks
{
    private const string Key = "load-test-key-0123456789";

    private readonly SecretRedactor _redactor = new();
    private KeyPatterns _patterns = KeyPatterns.Empty;
    private Logger _redacting = null!;
    private readonly CompactJsonLines _lines = new();
    private readonly ByteBuffer _block = new(96 * 1024);
    private readonly RenderedCompactJsonFormatter _serilogFormatter = new();
    private StreamWriter _serilogStdout = null!;
    private LogEvent _event = null!;

    [GlobalSetup]
    public void Setup()
    {
        _redactor.Register(Key);
        _patterns = KeyPatterns.Build([Key], []);
        _redacting = new LoggerConfiguration().MinimumLevel.Verbose()
            .WriteTo.Sink(new RedactingSink(_redactor, new DiscardingSink())).CreateLogger();
        _serilogStdout = new StreamWriter(Stream.Null, new System.Text.UTF8Encoding(false), 64 * 1024);

        // The request log's event as the gateway writes it (EventId 2001), properties and all.
        var capture = new CapturingSink();
        using (var logger = new LoggerConfiguration().WriteTo.Sink(capture).CreateLogger())
        {
            logger
                .ForContext("SourceContext", "SmartLead.Gateway.Logging.RequestLoggingMiddleware")
                .ForContext("RequestPath", "/api/v1/campaigns")
                .ForContext("ConnectionId", "0HNQFK8AN75KR")
                .Information(
                    "{Method:l} {Path:l} answered {StatusCode} in {ElapsedMs:0.0} ms; attempts {Attempts}, retries for {RetryReasons:l}, budget wait {QueueWaitMs:0.0} ms; request {RequestId:l}, trace {TraceId:l}",
                    "GET", "/api/v1/campaigns", 200, 1.37, 1, "none", 0.01, "91b669df8de04e1c9fef44d8a21c8806", "464470f3c37cd0a0e81f38d9012ba413");
        }

        _event = capture.Last!;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _redacting.Dispose();
        _serilogStdout.Dispose();
    }

    /// <summary>A clean request-log event through the redaction (template, every property).</summary>
    [Benchmark]
    public void RedactionCheck() => _redacting.Write(_event);

    /// <summary>One text checked for every form of the key (an answer header's value, a log property).</summary>
    [Benchmark]
    public string KeyCheckOfAText() => _patterns.Scrub("Tue, 01 Dec 2026 11:56:07 GMT");

    /// <summary>The event as a compact JSON line in UTF-8, as the stdout writer formats it.</summary>
    [Benchmark]
    public void FormatAsJsonLine()
    {
        _lines.Write(_event, _block);
        _block.Truncate(0);
    }

    /// <summary>The same line by Serilog's formatter into a 64 KB StreamWriter, as the stdout sink formatted it before.</summary>
    [Benchmark]
    public void FormatAsJsonLineBySerilog() => _serilogFormatter.Format(_event, _serilogStdout);

    private sealed class DiscardingSink : ILogEventSink
    {
        public void Emit(LogEvent logEvent)
        {
        }
    }

    private sealed class CapturingSink : ILogEventSink
    {
        public LogEvent? Last { get; private set; }

        public void Emit(LogEvent logEvent) => Last = logEvent;
    }
}
