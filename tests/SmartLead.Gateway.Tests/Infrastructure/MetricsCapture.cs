using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace SmartLead.Gateway.Tests.Infrastructure;

/// <summary>Every measurement of one meter instance (never another test's), as instrument name and tag values.</summary>
internal sealed class MetricsCapture : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Instrument, string Tags)> _measurements = new();

    public MetricsCapture(Meter meter)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, _, tags, _) =>
            _measurements.Enqueue((instrument.Name, string.Join(",", tags.ToArray().Select(t => $"{t.Key}={t.Value}")))));
        _listener.Start();
    }

    /// <summary>The tags of each measurement of <paramref name="instrument"/>, in order.</summary>
    public IReadOnlyList<string> Of(string instrument) => [.. _measurements.Where(m => m.Instrument == instrument).Select(m => m.Tags)];

    public void Dispose() => _listener.Dispose();
}
