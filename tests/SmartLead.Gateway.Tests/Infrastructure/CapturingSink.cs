using System.Collections.Concurrent;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace SmartLead.Gateway.Tests.Infrastructure;

/// <summary>Keeps every log event the gateway writes, as the event and as the JSON line a sink would print.</summary>
internal sealed class CapturingSink : ILogEventSink
{
    private readonly ConcurrentQueue<LogEvent> _events = new();
    private readonly CompactJsonFormatter _formatter = new();

    public IReadOnlyCollection<LogEvent> Events => _events;

    public void Emit(LogEvent logEvent) => _events.Enqueue(logEvent);

    /// <summary>Each event in full: JSON with template, every property and the exception text, plus the rendered message.</summary>
    public IEnumerable<string> RenderedEvents()
    {
        foreach (var logEvent in _events)
        {
            using var writer = new StringWriter();
            _formatter.Format(logEvent, writer);
            yield return writer + "\n" + logEvent.RenderMessage() + "\n" + logEvent.Exception;
        }
    }

    /// <summary>
    /// The events with <paramref name="id"/> once at least <paramref name="count"/> are there. The request log is
    /// written when the pipeline unwinds, which can be just after the client has read the response.
    /// </summary>
    public async Task<IReadOnlyList<LogEvent>> WaitForEventIdAsync(int id, int count = 1)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (WithEventId(id).Count() < count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        return [.. WithEventId(id)];
    }

    public IEnumerable<LogEvent> WithEventId(int id) => _events.Where(e =>
        e.Properties.TryGetValue("EventId", out var value) && value is StructureValue s &&
        s.Properties.Any(p => p.Name == "Id" && p.Value is ScalarValue { Value: int i } && i == id));
}
