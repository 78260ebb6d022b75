using System.Diagnostics.Metrics;
using SmartLead.Gateway.Budget;

namespace SmartLead.Gateway.Telemetry;

/// <summary>
/// The gateway's one meter, <c>SmartLead.Gateway</c>, built from <see cref="IMeterFactory"/>. Each feature records
/// through the methods here, so instrument names, units and label sets are written once. Every label value is from a
/// small closed set (a status code, a reason word, a limit's name): never a key, an email, a path or a query.
/// Recording allocates nothing: tags are passed as <see cref="KeyValuePair{TKey, TValue}"/> structs of interned strings.
/// </summary>
internal sealed class GatewayMetrics
{
    public const string MeterName = "SmartLead.Gateway";

    public const string UpstreamAttemptsInstrument = "smartlead_gateway.upstream.attempts";
    public const string RetriesInstrument = "smartlead_gateway.retries";
    public const string QueueWaitInstrument = "smartlead_gateway.ratelimit.wait";
    public const string RateLimitRejectionsInstrument = "smartlead_gateway.ratelimit.rejections";
    public const string CooldownsInstrument = "smartlead_gateway.upstream.cooldowns";
    public const string LeadRejectionsInstrument = "smartlead_gateway.lead.rejections";
    public const string KeyRotationsInstrument = "smartlead_gateway.key.rotations";
    public const string ClientRequestsInstrument = "smartlead_gateway.client.requests";
    public const string ClientPermitsInstrument = "smartlead_gateway.client.permits";

    /// <summary>The breaker's state as a number: 0 closed, 1 half-open, 2 open, 3 isolated (held open by hand).</summary>
    public const string CircuitStateInstrument = "smartlead_gateway.circuit_state";

    /// <summary>Each limit's size (<c>limit</c> label as on <c>permits_available</c>), so dashboards can show use as a share.</summary>
    public const string PermitLimitInstrument = "smartlead_gateway.ratelimit.permit_limit";

    /// <summary><c>RateLimit:QueueLimit</c>, so an alert can tell a full waiting room from a busy one.</summary>
    public const string QueueLimitInstrument = "smartlead_gateway.ratelimit.queue_limit";

    /// <summary>
    /// Waits run from nothing to <c>RateLimit:MaxQueueWait</c> (20 s by default) and pauses up to a minute: buckets in
    /// seconds over that range, where the SDK's default buckets (0 to 10,000, made for milliseconds) would put every
    /// wait in the first two.
    /// </summary>
    internal static readonly double[] WaitBuckets = [0, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60];

    private readonly Counter<long> _upstreamAttempts;
    private readonly Counter<long> _retries;
    private readonly Histogram<double> _queueWait;
    private readonly Counter<long> _rateLimitRejections;
    private readonly Counter<long> _cooldowns;
    private readonly Counter<long> _leadRejections;
    private readonly Counter<long> _keyRotations;
    private readonly Counter<long> _clientRequests;
    private readonly Counter<long> _clientPermits;
    private readonly Meter _meter;

    public GatewayMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _upstreamAttempts = _meter.CreateCounter<long>(UpstreamAttemptsInstrument, "{attempt}", "Attempts sent to SmartLead, by answer status (or 'timeout', 'error').");
        _retries = _meter.CreateCounter<long>(RetriesInstrument, "{retry}", "Retries made, by reason (a status code, 'timeout', 'connect', ...).");
        _queueWait = _meter.CreateHistogram<double>(QueueWaitInstrument, "s", "Time an attempt waited for a permit of the budget.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = WaitBuckets });
        _rateLimitRejections = _meter.CreateCounter<long>(RateLimitRejectionsInstrument, "{request}", "Requests the budget refused, by reason ('queue_full', 'wait_too_long', ...).");
        _cooldowns = _meter.CreateCounter<long>(CooldownsInstrument, "{cooldown}", "Pauses of all sending that SmartLead asked for (429, Remaining: 0).");
        _leadRejections = _meter.CreateCounter<long>(LeadRejectionsInstrument, "{request}", "Lead imports refused before they reached SmartLead, by reason.");
        _keyRotations = _meter.CreateCounter<long>(KeyRotationsInstrument, "{rotation}", "Times a new SmartLead key was loaded in place of another.");
        _clientPermits = _meter.CreateCounter<long>(ClientPermitsInstrument, "{permit}", "Budget permits granted to each client's attempts (its configured name, or 'anonymous').");
        _clientRequests = _meter.CreateCounter<long>(ClientRequestsInstrument, "{request}", "API calls accepted from each client (its configured name, or 'anonymous' on an open gateway).");
    }

    /// <summary>The meter, for observable instruments a feature registers over its own state (queue length, circuit state).</summary>
    public Meter Meter => _meter;

    /// <param name="status">The answer's status code, or <c>timeout</c> / <c>error</c> when there was none.</param>
    public void UpstreamAttempt(string status) => _upstreamAttempts.Add(1, new KeyValuePair<string, object?>("status", status));

    /// <param name="reason">A status code, <c>timeout</c>, <c>connect</c>, … (the request log's RetryReasons words).</param>
    public void Retry(string reason) => _retries.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void QueueWait(TimeSpan wait) => _queueWait.Record(wait.TotalSeconds);

    public void RateLimitRejection(string reason) => _rateLimitRejections.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Cooldown() => _cooldowns.Add(1);

    /// <param name="reason">The refusal's constraint (<c>maxItems</c>, <c>required</c>, <c>format</c>, …) or <c>payload_too_large</c>.</param>
    public void LeadRejection(string reason) => _leadRejections.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void KeyRotation() => _keyRotations.Add(1);

    /// <summary>Registers the gauges of the budget's limits over <paramref name="read"/> (the budget's status, read once per collection).</summary>
    public void ObserveBudgetLimits(Func<BudgetStatus> read)
    {
        _meter.CreateObservableGauge(PermitLimitInstrument, () => read().Limits.Select(limit =>
            new Measurement<int>(limit.PermitLimit, new KeyValuePair<string, object?>("limit", limit.Name))), "{permit}", "Permits each limit allows (the bucket's size, each window's limit).");
        _meter.CreateObservableGauge(QueueLimitInstrument, () => read().QueueLimit, "{request}", "Most requests that may wait for a permit.");
    }

    /// <summary>
    /// Adds 0 to the series the alerts watch (and the counters without labels), so each is exported from the start:
    /// Prometheus' <c>increase()</c> cannot see the first event of a series that appears with it.
    /// </summary>
    public void ShowAlertedSeries()
    {
        _cooldowns.Add(0);
        _keyRotations.Add(0);
        _upstreamAttempts.Add(0, new KeyValuePair<string, object?>("status", "401"));
        _upstreamAttempts.Add(0, new KeyValuePair<string, object?>("status", "429"));
        _rateLimitRejections.Add(0, new KeyValuePair<string, object?>("reason", "queue_full"));
    }

    /// <summary>Registers the circuit-state gauge over <paramref name="read"/> (see <see cref="CircuitStateInstrument"/>).</summary>
    public void ObserveCircuitState(Func<int> read) =>
        _meter.CreateObservableGauge(CircuitStateInstrument, read, "{state}", "Circuit breaker in front of SmartLead: 0 closed, 1 half-open, 2 open, 3 isolated.");

    /// <param name="client">A configured client's name (validated, at most 1,000 of them) or <c>anonymous</c>.</param>
    public void ClientRequest(string client) => _clientRequests.Add(1, new KeyValuePair<string, object?>("client", client));

    /// <summary>A permit of the budget went to an attempt of <paramref name="client"/> (the budget spent per client).</summary>
    public void ClientPermit(string client) => _clientPermits.Add(1, new KeyValuePair<string, object?>("client", client));

    /// <summary>
    /// A status code as a label value without allocating: the common ones are interned, anything else is grouped by
    /// class ("5xx") so the label set stays bounded.
    /// </summary>
    public static string StatusLabel(int status) => status switch
    {
        200 => "200",
        201 => "201",
        204 => "204",
        400 => "400",
        401 => "401",
        403 => "403",
        404 => "404",
        409 => "409",
        422 => "422",
        429 => "429",
        500 => "500",
        502 => "502",
        503 => "503",
        504 => "504",
        >= 100 and < 200 => "1xx",
        >= 200 and < 300 => "2xx",
        >= 300 and < 400 => "3xx",
        >= 400 and < 500 => "4xx",
        >= 500 and < 600 => "5xx",
        _ => "other",
    };
}
