using System.Diagnostics;
using System.Text;
using CsCheck;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Compact;
using SmartLead.Gateway.Logging;

namespace SmartLead.Gateway.Tests.Logging;

/// <summary>
/// The stdout lines must stay what Serilog's <see cref="RenderedCompactJsonFormatter"/> wrote (ops parse them): every
/// event here is formatted both ways and the UTF-8 bytes compared.
/// </summary>
public sealed class CompactJsonLinesTests
{
    private const string RequestTemplate =
        "{Method:l} {Path:l} answered {StatusCode} in {ElapsedMs:0.0} ms; attempts {Attempts}, retries for {RetryReasons:l}, budget wait {QueueWaitMs:0.0} ms; client {Client:l}; request {RequestId:l}, trace {TraceId:l}";

    public static TheoryData<string> Cases() =>
    [
        "request", "warning", "exception", "trace", "escapes", "unicode", "lone surrogates", "at names", "missing",
        "alignment", "destructured", "sequence", "dictionary", "scalars", "number formats", "positional", "empty",
        "json format", "no properties",
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Write_IsByteForByteSerilogsRenderedCompactJson(string name)
    {
        var logEvent = Event(name);

        Assert.Equal(Serilogs(logEvent), Ours(logEvent));
    }

    [Fact]
    public void Write_AnyTextInPropertiesAndTemplate_IsByteForByteSerilogs()
    {
        var text = Gen.Char.Array[0, 40].Select(c => new string(c));
        Gen.Select(text, text, Gen.Int, Gen.Double).Sample((literal, value, number, real) =>
        {
            var template = literal.Replace("{", "{{", StringComparison.Ordinal).Replace("}", "}}", StringComparison.Ordinal)
                + " {Value} {Literal:l} {Number:0.0} {Real}";
            var logEvent = Capture(logger => logger.Information(template, value, value, number, real));
            Assert.Equal(Serilogs(logEvent), Ours(logEvent));
        });
    }

    [Fact]
    public void Write_ManyEventsIntoOneBuffer_AreOneLineEach()
    {
        var lines = new CompactJsonLines();
        var buffer = new ByteBuffer(16);

        for (var i = 0; i < 100; i++)
        {
            lines.Write(Event("request"), buffer);
        }

        var text = Encoding.UTF8.GetString(buffer.Written);
        Assert.Equal(100, text.Count(c => c == '\n'));
        Assert.All(text.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => System.Text.Json.JsonDocument.Parse(line).Dispose());
    }

    private static LogEvent Event(string name) => name switch
    {
        "request" => Capture(logger => logger
            .ForContext("SourceContext", "SmartLead.Gateway.Logging.RequestLoggingMiddleware")
            .ForContext("EventId", new { Id = 2001, Name = "Request" }, destructureObjects: true)
            .Information(RequestTemplate, "GET", "/api/v1/campaigns", 200, 1.37, 1, "none", 0.01, "none", "91b669df8de04e1c9fef44d8a21c8806", "464470f3c37cd0a0e81f38d9012ba413")),
        "warning" => Capture(logger => logger.Warning("Status {StatusCode} from {Path}", 503, "/api/v1/x")),
        "exception" => Capture(logger => logger.Error(Thrown(), "Failed {RequestId}", "r-1")),
        "trace" => Captured(new LogEvent(DateTimeOffset.Parse("2026-12-01T11:56:07.1234567+02:00", System.Globalization.CultureInfo.InvariantCulture),
            LogEventLevel.Debug, null, new Serilog.Parsing.MessageTemplateParser().Parse("Traced {A}"), [new LogEventProperty("A", new ScalarValue(1))],
            ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom())),
        "escapes" => Capture(logger => logger.Information("Quote \" backslash \\ tab \t {Value} {Value:l}", "a\"b\\c\n\r\t\f\b\u0001\u001f end")),
        "unicode" => Capture(logger => logger.Information("Grüße {Value} 😀", "naïve 日本 😀 <>&'")),
        "lone surrogates" => Capture(logger => logger.Information("Bad {Value} \ud800 x", "\udc00 high \ud83d")),
        "at names" => Capture(logger => logger.ForContext("@Odd", "v").ForContext("$Dollar", 1).Information("Odd names")),
        "missing" => Captured(new LogEvent(DateTimeOffset.UnixEpoch, LogEventLevel.Information, null,
            new Serilog.Parsing.MessageTemplateParser().Parse("Has {Present} lacks {Missing:l} and {Other,5}"), [new LogEventProperty("Present", new ScalarValue("p"))])),
        "alignment" => Capture(logger => logger.Information("[{Left,-8}] [{Right,8}] [{Number,6:0.0}] [{Long,2}]", "ab", "cd", 3.14159, "longer than two")),
        "destructured" => Capture(logger => logger.Information("Got {@Thing} and {@Anonymous} and {@Empty}", new Thing { Name = "t", Size = 3, Inner = new Thing { Name = "in" } }, new { A = 1, B = "b" }, new Nothing())),
        "sequence" => Capture(logger => logger.Information("List {Items} nested {Nested}", new[] { 1, 2, 3 }, new object[] { "a", new[] { 1.5, 2.5 }, null! })),
        "dictionary" => Capture(logger => logger.Information("Map {Map}", new Dictionary<string, object?> { ["a\"b"] = 1, ["c"] = null, ["d"] = new[] { "x" } })),
        "scalars" => Capture(logger => logger.Information(
            "{Guid} {Date} {Offset} {Span} {Decimal} {Float} {NaN} {Inf} {Null} {Bool} {Char} {Uri} {Enum} {Long} {Byte} {DateOnly} {Time}",
            Guid.Parse("3f2504e0-4f89-11d3-9a0c-0305e82c3301"), new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc),
            new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(2)), TimeSpan.FromMilliseconds(1234), 12.50m, 1.25f, double.NaN,
            double.PositiveInfinity, null, true, 'c', new Uri("https://example.com/a?b=1"), LogEventLevel.Warning, long.MaxValue, (byte)7,
            new DateOnly(2026, 1, 2), new TimeOnly(3, 4, 5))),
        "number formats" => Capture(logger => logger.Information("{A:0.0} {B:F3} {C:D5} {D:X} {E:N0} {F:E2} {G}", 1.25, 2.0, 42, 255, 1234567, 0.000123, -0.0)),
        "positional" => Capture(logger => logger.Information("{0} then {1}", "first", 2)),
        "empty" => Capture(logger => logger.Information(string.Empty)),
        "json format" => Capture(logger => logger.Information("As json {Value:j} {@Thing:j}", "s", new Thing { Name = "j" })),
        "no properties" => Capture(logger => logger.Information("Nothing but text {{ braces }}")),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static Exception Thrown()
    {
        try
        {
            throw new InvalidOperationException("Boom \"quoted\"\nsecond line");
        }
        catch (InvalidOperationException ex)
        {
            return ex;
        }
    }

    private static LogEvent Capture(Action<Serilog.ILogger> write)
    {
        var sink = new LastEvent();
        using (var logger = new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(sink).CreateLogger())
        {
            write(logger);
        }

        return sink.Event!;
    }

    private static LogEvent Captured(LogEvent logEvent) => logEvent;

    private static string Serilogs(LogEvent logEvent)
    {
        using var bytes = new MemoryStream();
        using (var writer = new StreamWriter(bytes, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 1024, leaveOpen: true))
        {
            new RenderedCompactJsonFormatter().Format(logEvent, writer);
        }

        return Convert.ToHexString(bytes.ToArray()) + "\n" + Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static string Ours(LogEvent logEvent)
    {
        var buffer = new ByteBuffer(8);
        new CompactJsonLines().Write(logEvent, buffer);
        return Convert.ToHexString(buffer.Written) + "\n" + Encoding.UTF8.GetString(buffer.Written);
    }

    private sealed class LastEvent : ILogEventSink
    {
        public LogEvent? Event { get; private set; }

        public void Emit(LogEvent logEvent) => Event = logEvent;
    }

    private sealed class Thing
    {
        public string? Name { get; init; }

        public int Size { get; init; }

        public Thing? Inner { get; init; }
    }

    private sealed class Nothing;
}
