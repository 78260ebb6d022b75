namespace SmartLead.Gateway.Logging;

/// <summary>
/// What the one request-log event says about a request beyond method, path and status. Features along the
/// request path add to it (attempts and retry reasons from resilience, permit wait from the budget); the request
/// log middleware writes it once when the response is done. It lives in <c>HttpContext.Features</c>; the forwarder's
/// handler chain (which sees only the <see cref="HttpRequestMessage"/>) finds it through
/// <see cref="Forwarding.ForwardedFeatures"/>.
/// </summary>
internal sealed class RequestLogFeature
{
    private readonly List<string> _retryReasons = [];
    private long _queueWaitTicks;
    private int _attempts;

    public RequestLogFeature(string requestId) => RequestId = requestId;

    public string RequestId { get; }

    /// <summary>The calling client's name (set by client identity; null before it ran or when it refused the call).</summary>
    public string? Client { get; set; }

    /// <summary>Upstream attempts made (0 when the gateway answered by itself).</summary>
    public int Attempts => Volatile.Read(ref _attempts);

    /// <summary>Total time spent waiting for budget permits, over all attempts.</summary>
    public TimeSpan QueueWait => TimeSpan.FromTicks(Interlocked.Read(ref _queueWaitTicks));

    public IReadOnlyList<string> RetryReasons
    {
        get
        {
            lock (_retryReasons)
            {
                return [.. _retryReasons];
            }
        }
    }

    /// <summary>The reasons as the log line writes them (<c>503,timeout</c>), <c>none</c> without a retry; no copy in the common case.</summary>
    public string RetryReasonsText()
    {
        lock (_retryReasons)
        {
            return _retryReasons.Count == 0 ? "none" : string.Join(',', _retryReasons);
        }
    }

    public void RecordAttempt() => Interlocked.Increment(ref _attempts);

    public void RecordQueueWait(TimeSpan wait) => Interlocked.Add(ref _queueWaitTicks, wait.Ticks);

    public void RecordRetryReason(string reason)
    {
        lock (_retryReasons)
        {
            _retryReasons.Add(reason);
        }
    }

    /// <summary>The feature of the request this upstream message was made for, if any.</summary>
    public static RequestLogFeature? From(HttpRequestMessage request) => Forwarding.ForwardedFeatures.Get<RequestLogFeature>(request);
}
