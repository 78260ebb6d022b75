using System.Globalization;
using Microsoft.AspNetCore.Http;
using SmartLead.Sandbox.Faults;
using SmartLead.Sandbox.Limits;

namespace SmartLead.Sandbox.Endpoints;

/// <summary>
/// What stands between a request and the sandbox's data, in SmartLead's order: (added latency,) key check,
/// per-key limits, injected faults. A faulted request has already spent a permit, as a real server error would.
/// </summary>
internal sealed class SandboxGate(
    SandboxApiKeys keys, KeyRateLimiter limiter, FaultInjector faults, TimeProvider timeProvider) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (faults.AddedLatency > TimeSpan.Zero)
        {
            await Task.Delay(faults.AddedLatency, timeProvider, http.RequestAborted);
        }

        // Exactly one api_key: a request carrying two (a proxy that appended its key without removing the
        // client's) is refused, so such a bug shows up in tests instead of depending on which value wins.
        var presented = http.Request.Query["api_key"];
        if (presented.Count != 1 || !keys.Accepts(presented[0]))
        {
            return Results.Json(new InvalidKeyBody("Invalid API Key"), SandboxJson.Options, statusCode: StatusCodes.Status401Unauthorized);
        }

        var decision = limiter.TryAcquire(presented[0]!);
        if (!decision.IsUnlimited)
        {
            var headers = http.Response.Headers;
            headers["X-RateLimit-Limit"] = decision.Limit.ToString(CultureInfo.InvariantCulture);
            headers["X-RateLimit-Remaining"] = decision.Remaining.ToString(CultureInfo.InvariantCulture);
            headers["X-RateLimit-Reset"] = UnixSecondsRoundedUp(decision.Reset).ToString(CultureInfo.InvariantCulture);
        }

        if (!decision.Allowed)
        {
            http.Response.Headers.RetryAfter = decision.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return SandboxJson.RateLimited(decision.RetryAfterSeconds);
        }

        if (faults.NextFault() is { } status)
        {
            return Fault(http, status);
        }

        return await next(context);
    }

    private static IResult Fault(HttpContext http, int status)
    {
        if (status == StatusCodes.Status429TooManyRequests)
        {
            http.Response.Headers.RetryAfter = "1";
            return SandboxJson.RateLimited(1);
        }

        var (code, message) = status switch
        {
            StatusCodes.Status500InternalServerError => ("INTERNAL_SERVER_ERROR", "Internal server error"),
            StatusCodes.Status502BadGateway => ("BAD_GATEWAY", "Bad gateway"),
            StatusCodes.Status503ServiceUnavailable => ("SERVICE_UNAVAILABLE", "Service temporarily unavailable"),
            StatusCodes.Status504GatewayTimeout => ("GATEWAY_TIMEOUT", "Gateway timeout"),
            _ => ("SANDBOX_FAULT", "Injected fault"),
        };
        return SandboxJson.Error(status, code, message);
    }

    /// <summary>Rounded up so a client that waits until the announced second never arrives early.</summary>
    private static long UnixSecondsRoundedUp(DateTimeOffset instant)
    {
        var ms = instant.ToUnixTimeMilliseconds();
        return (ms + 999) / 1000;
    }

    private sealed record InvalidKeyBody(string Message);
}
