using System.Text.Json;
using System.Text.Json.Serialization;

namespace SmartLead.Gateway.Errors;

/// <summary>
/// Errors the gateway makes itself, written in SmartLead's envelope
/// (<c>{"error":{"code","message","details"},"message":"..."}</c>) so clients parse a single format. The top-level
/// <c>message</c> repeats the error's message: real SmartLead clients show <c>body.message || body.error</c> (SmartLead's
/// own 401 is <c>{"message":"Invalid API Key"}</c>), and without it they print the error object as <c>[object Object]</c>.
/// The one writer of the envelope; upstream answers never pass through here: they go back unchanged.
/// </summary>
internal static class GatewayError
{
    public const string ValidationError = "VALIDATION_ERROR";
    public const string PayloadTooLarge = "PAYLOAD_TOO_LARGE";
    public const string RateLimitExceeded = "RATE_LIMIT_EXCEEDED";
    public const string UpstreamUnavailable = "UPSTREAM_UNAVAILABLE";
    public const string UpstreamTimeout = "UPSTREAM_TIMEOUT";
    public const string NotFound = "NOT_FOUND";
    public const string Unauthorized = "UNAUTHORIZED";
    public const string InternalError = "INTERNAL_ERROR";

    private static readonly JsonSerializerOptions SerializerOptions = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Writes the envelope unless the response has already started (then there is nothing honest left to say).</summary>
    public static async Task WriteAsync(
        HttpContext context, int statusCode, string code, string message, object? details = null)
    {
        var response = context.Response;
        if (response.HasStarted)
        {
            return;
        }

        response.Clear();
        response.StatusCode = statusCode;
        response.ContentType = "application/json";
        var envelope = Envelope(code, message, details);
        await JsonSerializer.SerializeAsync(response.Body, envelope, SerializerOptions, context.RequestAborted)
            .ConfigureAwait(false);
    }

    /// <summary>
    /// The gateway's own refusal to send a request (budget, breaker): its status, code and message, and
    /// <c>Retry-After</c> in whole seconds, rounded up, when it says how long to wait.
    /// </summary>
    public static Task WriteAsync(HttpContext context, GatewayRejectedException rejection)
    {
        if (rejection.RetryAfter is { } retryAfter)
        {
            // Set as the answer starts: the writer clears the headers first. Static, with its state: a lambda capturing
            // the context would put a closure on every request's path (the compiler allocates it where the context
            // comes in), not just on the refused ones.
            context.Response.OnStarting(static state =>
            {
                var (response, seconds) = ((HttpResponse, long))state;
                response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return Task.CompletedTask;
            }, (context.Response, Resilience.RetryAfter.ToHeaderSeconds(retryAfter)));
        }

        return WriteAsync(context, rejection.StatusCode, rejection.Code, rejection.Message, rejection.Details);
    }

    /// <summary>The serialised envelope, for places that need the bytes rather than a response.</summary>
    public static byte[] ToUtf8Bytes(string code, string message, object? details = null) =>
        JsonSerializer.SerializeToUtf8Bytes(Envelope(code, message, details), SerializerOptions);

    private static ErrorEnvelope Envelope(string code, string message, object? details) =>
        new(new ErrorBody(code, message, details), message);

    private sealed record ErrorEnvelope(
        [property: JsonPropertyName("error")] ErrorBody Error,
        [property: JsonPropertyName("message")] string Message);

    private sealed record ErrorBody(
        [property: JsonPropertyName("code")] string Code,
        [property: JsonPropertyName("message")] string Message,
        [property: JsonPropertyName("details")] object? Details);
}
