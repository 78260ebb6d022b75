using Polly.CircuitBreaker;

namespace SmartLead.Gateway.Telemetry;

/// <summary>
/// The breaker's state as the gauge and the status page report it. Polly's own enum numbers open as 1 and
/// half-open as 2; ordered by severity instead, a dashboard can colour and alert on thresholds.
/// </summary>
internal static class CircuitStateValue
{
    public static int From(CircuitState state) => state switch
    {
        CircuitState.Closed => 0,
        CircuitState.HalfOpen => 1,
        CircuitState.Open => 2,
        CircuitState.Isolated => 3,
        _ => 0,
    };

    public static string Name(CircuitState state) => state switch
    {
        CircuitState.HalfOpen => "half-open",
        CircuitState.Open => "open",
        CircuitState.Isolated => "isolated",
        _ => "closed",
    };
}
