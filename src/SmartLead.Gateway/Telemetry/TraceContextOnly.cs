using System.Diagnostics;

namespace SmartLead.Gateway.Telemetry;

/// <summary>
/// Tracing when no exporter reads spans (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c> unset): one listener on ASP.NET Core's
/// activity source and nothing else. ASP.NET Core then gives every request a server activity, continuing a client's
/// <c>traceparent</c> when it sends one; that activity's trace id is the request log's <c>TraceId</c>, and the HTTP
/// client writes it into the <c>traceparent</c> SmartLead receives (with no listener of its own, the client creates no
/// activity per attempt and propagates the current one). What the OpenTelemetry SDK would add here, an activity per
/// attempt, instrumentation callbacks and tags on every request, has no reader without an exporter.
/// </summary>
/// <remarks>
/// Registered before any other hosted service starts (<see cref="StartingAsync"/>), so the first request already has
/// its activity. A client's sampled trace is passed on as sampled; anything else goes on as not sampled.
/// </remarks>
internal sealed class TraceContextOnly : IHostedLifecycleService, IDisposable
{
    /// <summary>The activity source ASP.NET Core's hosting starts its server activity from.</summary>
    internal const string AspNetCoreActivitySource = "Microsoft.AspNetCore";

    private readonly ActivityListener _listener = new()
    {
        ShouldListenTo = static source => source.Name == AspNetCoreActivitySource,
        Sample = static (ref ActivityCreationOptions<ActivityContext> options) =>
            (options.Parent.TraceFlags & ActivityTraceFlags.Recorded) != 0
                ? ActivitySamplingResult.AllDataAndRecorded
                : ActivitySamplingResult.PropagationData,
    };

    private bool _listening;

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        if (!_listening)
        {
            ActivitySource.AddActivityListener(_listener);
            _listening = true;
        }

        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // A host that stops (each test host does) takes its listener with it.
    public void Dispose() => _listener.Dispose();
}
