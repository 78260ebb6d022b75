using System.Net;
using Polly;
using Polly.Timeout;

namespace SmartLead.Gateway.Resilience;

/// <summary>
/// Decides which upstream outcomes are worth another attempt, following SmartLead's guide: 429 after its wait,
/// 5xx with backoff, never the 4xx that mean "fix the request". A POST or PATCH is replayed only when SmartLead
/// surely did not act on it (429, 503, no connection) unless its route is replay-safe.
/// </summary>
internal sealed class RetryClassifier
{
    private readonly HashSet<int> _statusCodes;
    private readonly RouteTemplate[] _replaySafeRoutes;

    public RetryClassifier(RetryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _statusCodes = [.. options.GetStatusCodes().Where(code => !IsNeverRetried(code))];
        _replaySafeRoutes = [.. options.GetReplaySafeRoutes().Select(Parse)];
        MaxRetryAfter = options.MaxRetryAfter;
    }

    public TimeSpan MaxRetryAfter { get; }

    /// <summary>Statuses SmartLead says must not be retried; they pass through at once whatever the settings.</summary>
    public static bool IsNeverRetried(int statusCode) => statusCode is 400 or 401 or 403 or 404 or 409 or 422;

    /// <summary>
    /// A short name for what went wrong, as the request log records it: the status (<c>"503"</c>), <c>"timeout"</c>
    /// (attempt timeout), <c>"connect"</c> (no connection made) or <c>"connection"</c> (connection lost mid-exchange);
    /// null for success and for outcomes that are not SmartLead's failure (cancellation, gateway rejections).
    /// </summary>
    public static string? Describe(Outcome<HttpResponseMessage> outcome) => outcome.Exception switch
    {
        null => outcome.Result is { IsSuccessStatusCode: false } response
            ? ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture)
            : null,
        TimeoutRejectedException => "timeout",
        HttpRequestException ex when IsConnectFailure(ex) => "connect",
        HttpRequestException => "connection",
        _ => null,
    };

    /// <summary>
    /// What the circuit breaker counts as a failure: 5xx, attempt timeouts and connection failures (a cancellation that
    /// reaches here is not the client's: the sockets gave up connecting).
    /// </summary>
    public static bool IsBreakerFailure(Outcome<HttpResponseMessage> outcome) => outcome.Exception switch
    {
        null => outcome.Result is { } response && (int)response.StatusCode >= 500,
        TimeoutRejectedException or HttpRequestException or OperationCanceledException => true,
        _ => false,
    };

    /// <summary>
    /// An outcome SmartLead did not give: the gateway refused the attempt (budget), the client gave up (its
    /// <paramref name="requestAborted"/> fired), or the gateway itself failed (disposed at shutdown, a bug). None says
    /// anything about SmartLead's health, so the breaker records none of them (counted as a success, a fault of the
    /// gateway's own could close a half-open circuit). A cancellation the client did not ask for (the sockets' connect
    /// timeout), an attempt timeout and a transport failure are SmartLead's.
    /// </summary>
    public static bool IsNotSmartLeads(Outcome<HttpResponseMessage> outcome, CancellationToken requestAborted) => outcome.Exception switch
    {
        null => false,
        Errors.GatewayRejectedException => true,
        TimeoutRejectedException or HttpRequestException => false,
        OperationCanceledException => requestAborted.IsCancellationRequested,
        _ => true,
    };

    /// <summary>
    /// The reason to retry (as <see cref="Describe"/> names it), or null when the outcome goes to the client as it is.
    /// </summary>
    public string? RetryReason(HttpRequestMessage request, Outcome<HttpResponseMessage> outcome, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        var reason = Describe(outcome);
        if (reason is null)
        {
            return null;
        }

        if (outcome.Result is { } response)
        {
            var status = (int)response.StatusCode;
            if (!_statusCodes.Contains(status) || IsNeverRetried(status))
            {
                return null;
            }

            // Holding the client longer than ops allow is worse than letting it decide with SmartLead's own answer.
            if (RetryAfter.From(response, now) > MaxRetryAfter)
            {
                return null;
            }

            return IsReplayable(request) || status is (int)HttpStatusCode.TooManyRequests or (int)HttpStatusCode.ServiceUnavailable
                ? reason
                : null;
        }

        return reason == "connect" || IsReplayable(request) ? reason : null;
    }

    /// <summary>Whether SmartLead tolerates this request arriving twice: idempotent methods and replay-safe routes.</summary>
    public bool IsReplayable(HttpRequestMessage request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var method = request.Method;
        if (method == HttpMethod.Get || method == HttpMethod.Head || method == HttpMethod.Options
            || method == HttpMethod.Put || method == HttpMethod.Delete || method == HttpMethod.Trace)
        {
            return true;
        }

        var path = request.RequestUri is { IsAbsoluteUri: true } uri ? uri.AbsolutePath : request.RequestUri?.OriginalString.Split('?')[0];
        return path is not null && Array.Exists(_replaySafeRoutes, route => route.Matches(method, path));
    }

    private static bool IsConnectFailure(HttpRequestException ex) => ex.HttpRequestError
        is HttpRequestError.NameResolutionError
        or HttpRequestError.ConnectionError
        or HttpRequestError.SecureConnectionError
        or HttpRequestError.ProxyTunnelError;

    private static RouteTemplate Parse(string route) => RouteTemplate.TryParse(route, out var template, out var error)
        ? template
        : throw new InvalidOperationException($"{RetryOptions.SectionName}:ReplaySafeRoutes entry '{route}' is invalid: {error}");
}
