using System.Diagnostics.Metrics;
using System.Threading.RateLimiting;
using SmartLead.Gateway.Configuration;
using SmartLead.Gateway.Telemetry;

namespace SmartLead.Gateway.Budget;

/// <summary>
/// The one budget every upstream attempt spends from, as a <see cref="RateLimiter"/>: a <see cref="WaitingRoom"/>
/// local to this replica in front of an <see cref="IPermitLedger"/> (memory, or Redis shared by all replicas).
/// It follows the settings (plan, limits, queue bounds), relays SmartLead's "key spent" signals to the ledger
/// (<see cref="PauseFor"/>), and reports its state (<see cref="IBudgetStatusSource"/>, gauges).
/// </summary>
internal sealed partial class UpstreamBudget : RateLimiter, IBudgetStatusSource
{
    /// <summary>SmartLead's longest window is an hour; a reset further away than that is not believed.</summary>
    internal static readonly TimeSpan MaxPause = TimeSpan.FromHours(1);

    private readonly IPermitLedger _ledger;
    private readonly WaitingRoom _room;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly GatewayMetrics? _metrics;
    private readonly BudgetStore _store;
    private Action? _unsubscribe;
    private RateLimitOptions _options;

    public UpstreamBudget(RateLimitOptions options, TimeProvider time, ILogger<UpstreamBudget> logger)
        : this(options, new MemoryPermitLedger(BudgetPlans.Resolve(options), time), time, logger, null)
    {
    }

    public UpstreamBudget(RateLimitOptions options, IPermitLedger ledger, TimeProvider time, ILogger logger, GatewayMetrics? metrics)
    {
        _options = options;
        _store = options.Store;
        _ledger = ledger;
        _time = time;
        _logger = logger;
        _metrics = metrics;
        _room = new WaitingRoom(ledger, options.QueueLimit, options.MaxQueueWait, time, logger, metrics);
        if (metrics is not null)
        {
            metrics.Meter.CreateObservableGauge(
                "smartlead_gateway.ratelimit.queue_length", () => _room.QueueLength, "{request}", "Requests waiting for a permit on this replica.");
            metrics.Meter.CreateObservableGauge(
                "smartlead_gateway.ratelimit.permits_available", ObservePermits, "{permit}", "Permits each limit could grant now, by limit.");
        }
    }

    /// <summary>False when <c>RateLimit:Enabled</c> is off: callers then skip the budget entirely.</summary>
    public bool IsEnabled => Volatile.Read(ref _options).Enabled;

    /// <summary>The clock the budget runs on; the handler measures permit waits with it.</summary>
    public TimeProvider TimeProvider => _time;

    public override TimeSpan? IdleDuration => _room.IdleDuration;

    /// <summary>A new handler for one forwarder handler chain (handlers cannot be shared between chains).</summary>
    public BudgetHandler CreateHandler() => new(this);

    /// <summary>Follows <paramref name="options"/>: every valid reload is applied (and logged) at once.</summary>
    public UpstreamBudget Follow(LiveOptions<RateLimitOptions> options)
    {
        options.Changed += Apply;
        _unsubscribe = () => options.Changed -= Apply;
        LogLimits(options.Current);
        return this;
    }

    public override RateLimiterStatistics? GetStatistics()
    {
        var snapshot = _ledger.Snapshot();
        var queued = _room.QueueLength;
        return new RateLimiterStatistics
        {
            CurrentAvailablePermits = queued > 0 ? 0 : Math.Min(snapshot.BucketAvailable, snapshot.WindowsAvailable.DefaultIfEmpty(int.MaxValue).Min()),
            CurrentQueuedCount = queued,
            TotalFailedLeases = _room.FailedLeases,
            TotalSuccessfulLeases = _room.SuccessfulLeases,
        };
    }

    public BudgetStatus GetStatus()
    {
        var options = Volatile.Read(ref _options);
        var snapshot = _ledger.Snapshot();
        var limits = snapshot.Limits;
        var bucket = limits.Bucket;
        var rows = new List<BudgetLimitStatus>(limits.Windows.Count + 1)
        {
            new("bucket", bucket.TokenLimit, bucket.Period, snapshot.BucketAvailable, bucket.Source),
        };
        for (var i = 0; i < limits.Windows.Count; i++)
        {
            var window = limits.Windows[i];
            rows.Add(new(window.Name, window.PermitLimit, window.Window, i < snapshot.WindowsAvailable.Count ? snapshot.WindowsAvailable[i] : 0, window.Source));
        }

        return new BudgetStatus(
            options.Enabled,
            options.Plan.ToString(),
            snapshot.Store,
            snapshot.Reachable,
            rows,
            _room.QueueLength,
            options.QueueLimit,
            _room.LongestWait,
            snapshot.CooldownUntil,
            snapshot.CooldownReason)
        {
            QueueByClient = _room.QueueByClient(),
        };
    }

    /// <summary>Counts a permit as spent by <paramref name="client"/>, for the budget per client on the status page.</summary>
    public void RecordPermit(string client) => _metrics?.ClientPermit(client);

    /// <summary>
    /// Stops every permit, on every replica sharing the ledger, until <paramref name="delay"/> from now (SmartLead
    /// said the key is spent); waiters keep their places and go in order afterwards, or are refused at once when
    /// the pause outlasts their wait. A shorter pause never cuts a longer one short.
    /// </summary>
    public void PauseFor(TimeSpan delay, string reason)
    {
        if (delay <= TimeSpan.Zero || !IsEnabled)
        {
            return;
        }

        if (delay > MaxPause)
        {
            Log.PauseCapped(_logger, delay, MaxPause, reason);
            delay = MaxPause;
        }

        if (_ledger.Pause(delay, reason))
        {
            _metrics?.Cooldown();
            Log.Paused(_logger, delay, reason, _room.QueueLength);
        }

        _room.Wake();
    }

    /// <summary>
    /// Puts new settings in force. What was spent stays spent; waiters keep their places, go sooner if the limits
    /// grew, and are refused at once if they can no longer go in time.
    /// </summary>
    public void Apply(RateLimitOptions options)
    {
        Volatile.Write(ref _options, options);
        _ledger.Apply(BudgetPlans.Resolve(options), options.ExpectedReplicas);
        _room.Configure(options.QueueLimit, options.MaxQueueWait);
        if (!options.Enabled)
        {
            // Switched off: nobody should be left waiting for a budget that no longer applies.
            _room.ReleaseAll();
        }

        LogLimits(options);
    }

    /// <summary>
    /// One permit for a request of <paramref name="client"/>: contended clients take turns by weight, and the wait is
    /// bounded by the caller's own limit when it set a shorter one than <c>RateLimit:MaxQueueWait</c>.
    /// </summary>
    public ValueTask<RateLimitLease> AcquireAsync(BudgetTicket client, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<RateLimitLease>(cancellationToken);
        }

        return IsEnabled ? _room.AcquireAsync(client, cancellationToken) : new(BudgetLease.Unlimited);
    }

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        CheckPermitCount(permitCount);
        return !IsEnabled || permitCount == 0 ? BudgetLease.Unlimited : _room.AttemptAcquire();
    }

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        CheckPermitCount(permitCount);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<RateLimitLease>(cancellationToken);
        }

        return !IsEnabled || permitCount == 0 ? new(BudgetLease.Unlimited) : _room.AcquireAsync(BudgetTicket.Anonymous, cancellationToken);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _unsubscribe?.Invoke();
            _room.Dispose();
            _ledger.Dispose();
        }
    }

    protected override ValueTask DisposeAsyncCore()
    {
        Dispose(true);
        return ValueTask.CompletedTask;
    }

    private static void CheckPermitCount(int permitCount)
    {
        // Each upstream attempt is one request against SmartLead's budget; there is nothing to ask for in bulk.
        ArgumentOutOfRangeException.ThrowIfGreaterThan(permitCount, 1);
    }

    private IEnumerable<Measurement<int>> ObservePermits()
    {
        var status = GetStatus();
        foreach (var limit in status.Limits)
        {
            yield return new Measurement<int>(limit.Available, new KeyValuePair<string, object?>("limit", limit.Name));
        }
    }

    private void LogLimits(RateLimitOptions options)
    {
        var limits = BudgetPlans.Resolve(options);
        Log.LimitsApplied(_logger, options.Enabled, options.Plan, _store, limits.Describe(), options.QueueLimit, options.MaxQueueWait);
        foreach (var (covered, by) in BudgetPlans.CoveredSettings(limits))
        {
            Log.SettingCovered(_logger, covered, by);
        }

        if (options.Store != _store)
        {
            Log.StoreChangeNeedsRestart(_logger, options.Store, _store);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4001, Level = LogLevel.Information,
            Message = "Upstream budget in force: enabled {Enabled}, plan {Plan}, store {Store}, limits {Limits}, queue {QueueLimit}, max wait {MaxQueueWait}")]
        public static partial void LimitsApplied(
            ILogger logger, bool enabled, BudgetPlan plan, BudgetStore store, string limits, int queueLimit, TimeSpan maxQueueWait);

        [LoggerMessage(EventId = 4005, Level = LogLevel.Warning,
            Message = "SmartLead says the key's budget is spent ({Reason}); nothing is sent for {Delay}, {Queued} requests wait")]
        public static partial void Paused(ILogger logger, TimeSpan delay, string reason, int queued);

        [LoggerMessage(EventId = 4006, Level = LogLevel.Warning,
            Message = "SmartLead asked for a pause of {Requested} ({Reason}); not believed beyond {Cap}")]
        public static partial void PauseCapped(ILogger logger, TimeSpan requested, TimeSpan cap, string reason);

        [LoggerMessage(EventId = 4007, Level = LogLevel.Warning,
            Message = "A budget setting has no effect: {Covered} never binds, because {By} is at least as tight")]
        public static partial void SettingCovered(ILogger logger, string covered, string by);

        [LoggerMessage(EventId = 4008, Level = LogLevel.Warning,
            Message = "RateLimit:Store is now {Configured}, but permits stay counted in {InUse} until the gateway restarts")]
        public static partial void StoreChangeNeedsRestart(ILogger logger, BudgetStore configured, BudgetStore inUse);
    }
}
