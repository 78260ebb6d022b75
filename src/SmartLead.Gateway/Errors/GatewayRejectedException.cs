namespace SmartLead.Gateway.Errors;

/// <summary>
/// Thrown inside the forwarder's handler chain when the gateway itself decides not to send a request
/// (budget queue full, wait too long, breaker open). The forwarding error mapper turns it into the envelope,
/// so the client sees the status and code named here and never an empty 502. Before the forwarder, the budget's first
/// wait writes the same refusal itself (<see cref="GatewayError.WriteAsync(HttpContext, GatewayRejectedException)"/>).
/// </summary>
internal sealed class GatewayRejectedException : Exception
{
    public GatewayRejectedException(int statusCode, string code, string message, TimeSpan? retryAfter = null, object? details = null)
        : base(message)
    {
        StatusCode = statusCode;
        Code = code;
        RetryAfter = retryAfter;
        Details = details;
    }

    public int StatusCode { get; }

    public string Code { get; }

    /// <summary>When set, the response carries <c>Retry-After</c> in whole seconds, rounded up.</summary>
    public TimeSpan? RetryAfter { get; }

    public object? Details { get; }
}
