using System.Diagnostics.Metrics;

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

    private readonly Counter<long> _upstreamAttempts;
    private readonly Counter<long> _retries;
    private readonly Histogram<double> _queueWait;
    private readonly Counter<long> _rateLimitRejections;
    private readonly Counter<long> _cooldowns;
    private readonly Counter<long> _leadRejections;
    private readonly Counter<long> _keyRotations;
    private readonly Counter<long> _clientRequests;
    private readonly Meter _meter;

    public GatewayMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _upstreamAttempts = _meter.CreateCounter<long>("smartlead_gateway.upstream.attempts", "{attempt}", "Attempts sent to SmartLead, by answer status (or 'timeout', 'error').");
        _retries = _meter.CreateCounter<long>("smartlead_gateway.retries", "{retry}", "Retries made, by reason (a status code, 'timeout', 'connect', ...).");
        _queueWait = _meter.CreateHistogram<double>("smartlead_gateway.ratelimit.wait", "s", "Time an attempt waited for a permit of the budget.");
        _rateLimitRejections = _meter.CreateCounter<long>("smartlead_gateway.ratelimit.rejections", "{request}", "Requests the budget refused, by reason ('queue_full', 'wait_too_long', ...).");
        _cooldowns = _meter.CreateCounter<long>("smartlead_gateway.upstream.cooldowns", "{cooldown}", "Pauses of all sending that SmartLead asked for (429, Remaining: 0).");
        _leadRejections = _meter.CreateCounter<long>("smartlead_gateway.lead.rejections", "{request}", "Lead imports refused before they reached SmartLead, by reason.");
        _keyRotations = _meter.CreateCounter<long>("smartlead_gateway.key.rotations", "{rotation}", "Times a new SmartLead key was loaded in place of another.");
        _clientRequests = _meter.CreateCounter<long>("smartlead_gateway.client.requests", "{request}", "API calls accepted from each client (its configured name, or 'anonymous' on an open gateway).");
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

    /// <param name="client">A configured client's name (validated, at most 1,000 of them) or <c>anonymous</c>.</param>
    public void ClientRequest(string client) => _clientRequests.Add(1, new KeyValuePair<string, object?>("client", client));

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
