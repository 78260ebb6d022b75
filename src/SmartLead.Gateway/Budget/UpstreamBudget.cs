using System.Threading.RateLimiting;
using SmartLead.Gateway.Configuration;

namespace SmartLead.Gateway.Budget;

/// <summary>
/// The one budget every upstream attempt spends from: a <see cref="RateLimiter"/> that hands out one permit at a
/// time when the bucket and all windows allow it, keeps the callers that cannot go yet in a bounded FIFO waiting
/// room, refuses at once those whose wait can be foreseen to pass <see cref="RateLimitOptions.MaxQueueWait"/>, and
/// stops everyone while SmartLead says the key is spent (<see cref="PauseFor"/>).
/// </summary>
/// <remarks>
/// One lock guards everything; the work under it is arithmetic on at most <see cref="RateLimitOptions.QueueLimit"/>
/// waiters. Waiters are completed with continuations forced asynchronous, so no caller code runs under the lock.
/// A single timer wakes the budget when the head of the queue may go.
/// </remarks>
internal sealed partial class UpstreamBudget : RateLimiter
{
    /// <summary>SmartLead's longest window is an hour; a reset further away than that is not believed.</summary>
    internal static readonly TimeSpan MaxPause = TimeSpan.FromHours(1);

    /// <summary>
    /// How far a waiter already admitted may slip past its deadline before it is refused after all: a quarter of
    /// <paramref name="maxQueueWait"/>, at least 50 ms. Admission projects when attempts in flight will finish; a slow
    /// answer, a late timer or a stalled machine moves every later permit, and refusing a caller who has already
    /// waited most of its time over such a slip is worse than letting it go a little late. Pauses and reloads move
    /// projections by far more and still refuse at once.
    /// </summary>
    internal static TimeSpan DeadlineSlack(TimeSpan maxQueueWait) =>
        TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond * 50, maxQueueWait.Ticks / 4));

    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly long _origin;
    private readonly LinkedList<Waiter> _queue = new();
    private readonly ITimer _timer;
    private readonly Action? _unsubscribe;
    private readonly PermitLimits _limits;
    private RateLimitOptions _options;
    private long _pausedUntil = long.MinValue;
    private long _lastGrant;
    private long _successfulLeases;
    private long _failedLeases;
    private bool _disposed;

    public UpstreamBudget(LiveOptions<RateLimitOptions> options, TimeProvider time, ILogger<UpstreamBudget> logger)
        : this(options.Current, time, logger)
    {
        options.Changed += Apply;
        _unsubscribe = () => options.Changed -= Apply;
        LogLimits(options.Current);
    }

    public UpstreamBudget(RateLimitOptions options, TimeProvider time, ILogger<UpstreamBudget> logger)
    {
        _time = time;
        _logger = logger;
        _origin = time.GetTimestamp();
        _options = options;
        _limits = new PermitLimits(options, 0);
        _timer = time.CreateTimer(static state => ((UpstreamBudget)state!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>False when <c>RateLimit:Enabled</c> is off: callers then skip the budget entirely.</summary>
    public bool IsEnabled => Volatile.Read(ref _options).Enabled;

    /// <summary>The clock the budget runs on; the handler measures permit waits with it.</summary>
    public TimeProvider TimeProvider => _time;

    /// <summary>
    /// An approximation: while nothing waits and every limit is whole again, the time since the last permit.
    /// </summary>
    public override TimeSpan? IdleDuration
    {
        get
        {
            lock (_gate)
            {
                var now = Now;
                return _queue.Count == 0 && now >= _pausedUntil && _limits.IsFull(now)
                    ? TimeSpan.FromTicks(now - _lastGrant)
                    : null;
            }
        }
    }

    private long Now => _time.GetElapsedTime(_origin).Ticks;

    /// <summary>A new handler for one forwarder handler chain (handlers cannot be shared between chains).</summary>
    public BudgetHandler CreateHandler() => new(this);

    public override RateLimiterStatistics? GetStatistics()
    {
        lock (_gate)
        {
            var now = Now;
            return new RateLimiterStatistics
            {
                CurrentAvailablePermits = _queue.Count > 0 || now < _pausedUntil ? 0 : _limits.AvailableAt(now),
                CurrentQueuedCount = _queue.Count,
                TotalFailedLeases = Interlocked.Read(ref _failedLeases),
                TotalSuccessfulLeases = Interlocked.Read(ref _successfulLeases),
            };
        }
    }

    /// <summary>
    /// Stops every permit until <paramref name="delay"/> from now (SmartLead said the key is spent); waiters keep
    /// their places and go in order afterwards. A shorter pause never cuts a longer one short.
    /// </summary>
    public void PauseFor(TimeSpan delay, string reason)
    {
        if (delay <= TimeSpan.Zero)
        {
            return;
        }

        if (delay > MaxPause)
        {
            Log.PauseCapped(_logger, delay, MaxPause, reason);
            delay = MaxPause;
        }

        lock (_gate)
        {
            if (_disposed || !_options.Enabled)
            {
                return;
            }

            var now = Now;
            var until = now + delay.Ticks;
            if (until <= _pausedUntil)
            {
                return;
            }

            _pausedUntil = until;
            Log.Paused(_logger, delay, reason, _queue.Count);
            Dispatch(now);
        }
    }

    /// <summary>
    /// Puts new limits in force. What was spent stays spent (see <see cref="PermitLimits.Reconfigure"/>); waiters keep
    /// their places, go sooner if the limits grew, and are refused at once if they can no longer go in time.
    /// </summary>
    public void Apply(RateLimitOptions options)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            var now = Now;
            _limits.Reconfigure(options, now);
            Volatile.Write(ref _options, options);
            if (!options.Enabled)
            {
                // Switched off: nobody should be left waiting for a budget that no longer applies.
                while (_queue.First is { } node)
                {
                    _queue.RemoveFirst();
                    node.Value.Complete(BudgetLease.Unlimited);
                }
            }

            Dispatch(now);
        }

        LogLimits(options);
    }

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        CheckPermitCount(permitCount);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_options.Enabled)
            {
                return BudgetLease.Unlimited;
            }

            var now = Now;
            Dispatch(now);
            if (TryTakeNow(now, permitCount) is { } lease)
            {
                return lease;
            }

            Interlocked.Increment(ref _failedLeases);
            return BudgetLease.Refused(ProjectNewcomer(now) - now);
        }
    }

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        CheckPermitCount(permitCount);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<RateLimitLease>(cancellationToken);
        }

        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_options.Enabled)
            {
                return new(BudgetLease.Unlimited);
            }

            var now = Now;
            Dispatch(now);
            if (TryTakeNow(now, permitCount) is { } lease)
            {
                return new(lease);
            }

            if (permitCount == 0 || _queue.Count >= _options.QueueLimit)
            {
                var retryAfter = ProjectNewcomer(now) - now;
                Log.QueueFull(_logger, _queue.Count, TimeSpan.FromTicks(retryAfter));
                Interlocked.Increment(ref _failedLeases);
                return new(BudgetLease.Refused(retryAfter));
            }

            var goesAt = ProjectNewcomer(now);
            var wait = TimeSpan.FromTicks(goesAt - now);
            if (wait > _options.MaxQueueWait)
            {
                Log.WaitTooLong(_logger, wait, _options.MaxQueueWait);
                Interlocked.Increment(ref _failedLeases);
                return new(BudgetLease.Refused(goesAt - now));
            }

            var waiter = new Waiter(this, now + _options.MaxQueueWait.Ticks);
            waiter.Node = _queue.AddLast(waiter);
            if (_queue.Count == 1)
            {
                ArmTimer(goesAt, now);
            }

            // Registered last: if the token fires meanwhile the callback runs inline, re-enters the lock and
            // finds the waiter already queued, so it can take it out again.
            waiter.Registration = cancellationToken.UnsafeRegister(
                static (state, token) => ((Waiter)state!).Cancel(token), waiter);
            return new(waiter.Task);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }

        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            while (_queue.First is { } node)
            {
                _queue.RemoveFirst();
                node.Value.Complete(BudgetLease.Refused(null));
            }
        }

        _timer.Dispose();
        _unsubscribe?.Invoke();
    }

    protected override ValueTask DisposeAsyncCore()
    {
        Dispose(true);
        return ValueTask.CompletedTask;
    }

    private void LogLimits(RateLimitOptions options) =>
        Log.LimitsApplied(
            _logger,
            options.Enabled,
            options.TokenLimit,
            options.TokensPerPeriod,
            options.ReplenishmentPeriod,
            string.Join(", ", options.EffectiveWindows.Select(w => $"{w.PermitLimit}/{w.Window}")),
            options.QueueLimit,
            options.MaxQueueWait);

    private static void CheckPermitCount(int permitCount)
    {
        // Each upstream attempt is one request against SmartLead's budget; there is nothing to ask for in bulk.
        ArgumentOutOfRangeException.ThrowIfGreaterThan(permitCount, 1);
    }

    private BudgetLease? TryTakeNow(long now, int permitCount)
    {
        if (_queue.Count > 0 || now < _pausedUntil || _limits.EarliestFrom(now) > now)
        {
            return null;
        }

        return permitCount > 0 ? Grant(now) : BudgetLease.Unlimited;
    }

    private BudgetLease Grant(long now)
    {
        var entry = _limits.Take(now);
        _lastGrant = now;
        Interlocked.Increment(ref _successfulLeases);
        return entry is null ? BudgetLease.Unlimited : new BudgetLease(this, entry);
    }

    /// <summary>The attempt holding a permit is over; the windows start ageing it out from now.</summary>
    private void Release(LinkedListNode<long> entry)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            var now = Now;
            _limits.Finish(entry, now);
            Dispatch(now);
        }
    }

    private void OnTimer()
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                Dispatch(Now);
            }
        }
    }

    /// <summary>
    /// Lets go every waiter at the head that may go now, then walks the rest to see when each would go: those that
    /// could not make their deadline are refused now rather than at the deadline, and the timer is set for the head.
    /// </summary>
    private void Dispatch(long now)
    {
        _limits.Prune(now);
        while (_queue.First is { } head && now >= _pausedUntil && _limits.EarliestFrom(now) <= now)
        {
            _queue.RemoveFirst();
            head.Value.Complete(Grant(now));
        }

        if (_queue.Count == 0)
        {
            ArmTimer(long.MaxValue, now);
            return;
        }

        _limits.BeginProjection(now, cautious: false);
        var previous = Math.Max(now, _pausedUntil);
        var headGoesAt = long.MaxValue;
        var slack = DeadlineSlack(_options.MaxQueueWait).Ticks;
        for (var node = _queue.First; node is not null;)
        {
            var next = node.Next;
            var goesAt = _limits.EarliestFrom(previous);
            if (goesAt > node.Value.Deadline + slack)
            {
                _queue.Remove(node);
                Interlocked.Increment(ref _failedLeases);
                Log.WaiterRefused(_logger, TimeSpan.FromTicks(goesAt - node.Value.Enqueued), _options.MaxQueueWait);
                node.Value.Complete(BudgetLease.Refused(goesAt - now));
            }
            else
            {
                _limits.Take(goesAt);
                previous = goesAt;
                headGoesAt = Math.Min(headGoesAt, goesAt);
            }

            node = next;
        }

        _limits.EndProjection();
        ArmTimer(headGoesAt, now);
    }

    /// <summary>When a request arriving now would get its permit, behind everyone already waiting.</summary>
    private long ProjectNewcomer(long now)
    {
        _limits.BeginProjection(now, cautious: true);
        var at = Math.Max(now, _pausedUntil);
        for (var i = 0; i < _queue.Count; i++)
        {
            at = _limits.EarliestFrom(at);
            _limits.Take(at);
        }

        at = _limits.EarliestFrom(at);
        _limits.EndProjection();
        return at;
    }

    private void ArmTimer(long dueAt, long now)
    {
        if (dueAt == long.MaxValue)
        {
            _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }

        // Timers count whole milliseconds; rounding up means waking at or just after the permit, never before it.
        var milliseconds = Math.Max(1, (dueAt - now + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond);
        _timer.Change(TimeSpan.FromMilliseconds(milliseconds), Timeout.InfiniteTimeSpan);
    }

    private void Remove(Waiter waiter, CancellationToken token)
    {
        lock (_gate)
        {
            if (waiter.Node?.List is null)
            {
                return;
            }

            _queue.Remove(waiter.Node);
            waiter.TrySetCanceled(token);
        }
    }

    private sealed class Waiter(UpstreamBudget budget, long deadline)
        : TaskCompletionSource<RateLimitLease>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public long Enqueued { get; } = budget.Now;

        public long Deadline { get; } = deadline;

        public LinkedListNode<Waiter>? Node { get; set; }

        public CancellationTokenRegistration Registration { get; set; }

        public void Cancel(CancellationToken token) => budget.Remove(this, token);

        public void Complete(RateLimitLease lease)
        {
            // Unregister, not Dispose: Dispose would wait for a running cancel callback that waits for our lock.
            Registration.Unregister();
            TrySetResult(lease);
        }
    }

    /// <summary>
    /// A granted lease holds its permit's window entry until disposed: dispose it when the upstream attempt is
    /// over (see <see cref="PermitLimits"/> for why the windows count from then).
    /// </summary>
    private sealed class BudgetLease : RateLimitLease
    {
        /// <summary>Granted with nothing to give back (budget off, or a zero-permit probe).</summary>
        public static readonly BudgetLease Unlimited = new(true, null);

        private readonly TimeSpan? _retryAfter;
        private UpstreamBudget? _budget;
        private LinkedListNode<long>? _entry;

        public BudgetLease(UpstreamBudget budget, LinkedListNode<long> entry)
            : this(true, null)
        {
            _budget = budget;
            _entry = entry;
        }

        private BudgetLease(bool isAcquired, TimeSpan? retryAfter)
        {
            IsAcquired = isAcquired;
            _retryAfter = retryAfter;
        }

        public override bool IsAcquired { get; }

        public override IEnumerable<string> MetadataNames =>
            _retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public static BudgetLease Refused(long retryAfterTicks) =>
            new(false, TimeSpan.FromTicks(Math.Max(retryAfterTicks, TimeSpan.TicksPerMillisecond)));

        public static BudgetLease Refused(TimeSpan? retryAfter) => new(false, retryAfter);

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            if (_retryAfter is { } retryAfter && metadataName == MetadataName.RetryAfter.Name)
            {
                metadata = retryAfter;
                return true;
            }

            metadata = null;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && Interlocked.Exchange(ref _budget, null) is { } budget)
            {
                budget.Release(_entry!);
                _entry = null;
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4001, Level = LogLevel.Information,
            Message = "Upstream budget in force: enabled {Enabled}, bucket {TokenLimit} tokens, {TokensPerPeriod} per {ReplenishmentPeriod}, windows {Windows}, queue {QueueLimit}, max wait {MaxQueueWait}")]
        public static partial void LimitsApplied(
            ILogger logger, bool enabled, int tokenLimit, int tokensPerPeriod, TimeSpan replenishmentPeriod,
            string windows, int queueLimit, TimeSpan maxQueueWait);

        [LoggerMessage(EventId = 4002, Level = LogLevel.Debug,
            Message = "Upstream budget queue is full ({Queued} waiting); refused, retry after {RetryAfter}")]
        public static partial void QueueFull(ILogger logger, int queued, TimeSpan retryAfter);

        [LoggerMessage(EventId = 4003, Level = LogLevel.Debug,
            Message = "Upstream budget wait would be {Wait}, longer than {MaxQueueWait}; refused at once")]
        public static partial void WaitTooLong(ILogger logger, TimeSpan wait, TimeSpan maxQueueWait);

        [LoggerMessage(EventId = 4004, Level = LogLevel.Debug,
            Message = "A waiting request can no longer go within {MaxQueueWait} (it would have waited {Wait}); refused")]
        public static partial void WaiterRefused(ILogger logger, TimeSpan wait, TimeSpan maxQueueWait);

        [LoggerMessage(EventId = 4005, Level = LogLevel.Warning,
            Message = "SmartLead says the key's budget is spent ({Reason}); nothing is sent for {Delay}, {Queued} requests wait")]
        public static partial void Paused(ILogger logger, TimeSpan delay, string reason, int queued);

        [LoggerMessage(EventId = 4006, Level = LogLevel.Warning,
            Message = "SmartLead asked for a pause of {Requested} ({Reason}); not believed beyond {Cap}")]
        public static partial void PauseCapped(ILogger logger, TimeSpan requested, TimeSpan cap, string reason);
    }
}
