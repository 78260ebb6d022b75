using System.Reflection;
using SmartLead.Gateway.Budget;
using SmartLead.Gateway.Clients;
using SmartLead.Gateway.Credentials;
using SmartLead.Gateway.Resilience;
using SmartLead.Gateway.Telemetry;

namespace SmartLead.Gateway.StatusPage;

/// <summary>
/// Builds <see cref="StatusDocument"/> from the parts that know: the budget through <see cref="IBudgetStatusSource"/>,
/// the breaker from <see cref="UpstreamResiliencePipeline"/>, the key's fingerprint from <see cref="ApiKeyStore"/>, and
/// the traffic from <see cref="StatusRecorder"/>. Each part is optional, so a host built with fewer features still
/// answers. Created at start (uptime counts from then).
/// </summary>
internal sealed class GatewayStatus
{
    /// <summary>How often the page asks for a new document.</summary>
    public const int RefreshSeconds = 5;

    private static readonly string AssemblyVersion =
        typeof(GatewayStatus).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(GatewayStatus).Assembly.GetName().Version?.ToString()
        ?? "unknown";

    private readonly StatusRecorder _recorder;
    private readonly TimeProvider _time;
    private readonly IBudgetStatusSource? _budget;
    private readonly UpstreamResiliencePipeline? _resilience;
    private readonly ApiKeyStore? _keys;
    private readonly ClientRegistry? _clients;
    private readonly long _startedTimestamp;
    private readonly DateTimeOffset _startedAt;

    public GatewayStatus(StatusRecorder recorder, TimeProvider time, IServiceProvider services)
    {
        _recorder = recorder;
        _time = time;
        _budget = services.GetService<IBudgetStatusSource>();
        _resilience = services.GetService<UpstreamResiliencePipeline>();
        _keys = services.GetService<ApiKeyStore>();
        _clients = services.GetService<ClientRegistry>();
        _startedTimestamp = time.GetTimestamp();
        _startedAt = time.GetUtcNow();
    }

    public static string Version => AssemblyVersion;

    public StatusDocument Build()
    {
        var activity = _recorder.Snapshot();
        var now = _time.GetUtcNow();
        var state = _resilience?.CircuitState;
        var breaker = state is { } s
            ? new StatusBreaker(CircuitStateValue.Name(s), CircuitStateValue.From(s))
            : new StatusBreaker("none", 0);
        var key = _keys?.Current;
        var budget = _budget?.GetStatus();
        return new StatusDocument(
            AssemblyVersion,
            now,
            _startedAt,
            Math.Round(_time.GetElapsedTime(_startedTimestamp).TotalSeconds, 1),
            RefreshSeconds,
            budget is null ? null : Budget(budget, activity, now),
            breaker,
            new StatusUpstream(activity.UpstreamAttempts.Values.Sum(), activity.UpstreamAttempts, activity.Retries.Values.Sum(), activity.Retries),
            activity.LeadRejections,
            new StatusKey(key is not null, key is null ? null : ApiKeyStore.Fingerprint(key), activity.KeyRotations, activity.LastKeyRotationAt),
            new StatusHistory(StatusRecorder.BucketSeconds, activity.History),
            Clients(activity.ClientPermitsLastHour, budget?.QueueByClient ?? new Dictionary<string, int>()));
    }

    /// <summary>Every configured client, and anyone else seen spending or waiting (an open gateway's "anonymous").</summary>
    private List<StatusClient> Clients(IReadOnlyDictionary<string, long> permits, IReadOnlyDictionary<string, int> waiting)
    {
        var total = waiting.Values.Sum();
        return
        [
            .. (_clients?.Names ?? []).Concat(permits.Keys).Concat(waiting.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
                .Select(name => new StatusClient(
                    name,
                    permits.GetValueOrDefault(name),
                    waiting.GetValueOrDefault(name),
                    total == 0 ? 0 : Math.Round((double)waiting.GetValueOrDefault(name) / total, 3))),
        ];
    }

    private static StatusBudget Budget(BudgetStatus budget, StatusActivity activity, DateTimeOffset now)
    {
        var cooling = budget.CooldownUntil is { } until && until > now;
        return new StatusBudget(
            budget.Enabled,
            budget.Plan,
            budget.Store,
            budget.StoreReachable,
            [.. budget.Limits.Select(limit => new StatusLimit(
                limit.Name,
                limit.PermitLimit,
                limit.Period.TotalSeconds,
                limit.Available,
                Math.Max(0, limit.PermitLimit - limit.Available),
                limit.Source))],
            new StatusQueue(budget.QueueLength, budget.QueueLimit, Math.Round(budget.LongestWait.TotalSeconds, 3)),
            new StatusCooldown(
                cooling,
                cooling ? budget.CooldownUntil : null,
                cooling ? Math.Round((budget.CooldownUntil!.Value - now).TotalSeconds, 1) : 0,
                cooling ? budget.CooldownReason : null,
                activity.Cooldowns,
                activity.LastCooldownAt),
            activity.RateLimitRejections,
            activity.Permits,
            activity.Waited,
            Math.Round(activity.LongestWaitSeconds, 3));
    }
}
