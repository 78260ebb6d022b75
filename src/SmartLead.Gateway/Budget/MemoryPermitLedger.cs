namespace SmartLead.Gateway.Budget;

/// <summary>
/// The ledger of one process: <see cref="PermitLimits"/> and SmartLead's cooldown under one lock, on the
/// <see cref="TimeProvider"/>'s clock. Everything answers synchronously; the lock covers arithmetic only.
/// It is the whole ledger with <c>RateLimit:Store=Memory</c>, and each replica's fallback while Redis is away.
/// </summary>
internal sealed class MemoryPermitLedger : IPermitLedger
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly long _origin;
    private readonly PermitLimits _limits;
    private BudgetLimits _current;
    private long _pausedUntil = long.MinValue;
    private string? _pauseReason;

    public MemoryPermitLedger(BudgetLimits limits, TimeProvider time)
    {
        _time = time;
        _origin = time.GetTimestamp();
        _current = limits;
        _limits = new PermitLimits(limits, 0);
    }

    public event Action? PermitsMayBeFree;

    private long Now => _time.GetElapsedTime(_origin).Ticks;

    public ValueTask<LedgerAnswer> TryTakeAsync(QueueState queue, CancellationToken cancellationToken) => new(TryTake());

    public LedgerAnswer TryTake()
    {
        lock (_gate)
        {
            var now = Now;
            _limits.Prune(now);
            if (now >= _pausedUntil && _limits.EarliestFrom(now) <= now)
            {
                return LedgerAnswer.Granted(new Permit(this, _limits.Take(now)));
            }

            // Hopeful: attempts in flight end now. A window waiting on one can free a permit no sooner than a window
            // from now; the release wakes the waiting room earlier if it matters (PermitsMayBeFree).
            _limits.BeginProjection(now, cautious: false);
            var soonest = _limits.EarliestFrom(Math.Max(now, _pausedUntil));
            _limits.EndProjection();
            return new LedgerAnswer(null, TimeSpan.FromTicks(soonest - now), TimeSpan.FromTicks(ProjectLocked(now, 0) - now));
        }
    }

    /// <summary>
    /// Counts a permit granted elsewhere (by the shared store) whatever the limits say, so that if the store goes
    /// away this replica's share starts from what the replica itself spent rather than from a full budget.
    /// </summary>
    public ILedgerPermit Record()
    {
        lock (_gate)
        {
            var now = Now;
            _limits.Prune(now);
            return new Permit(this, _limits.Record(now));
        }
    }

    public ValueTask<TimeSpan> ProjectAsync(int ahead, CancellationToken cancellationToken) => new(Project(ahead));

    public TimeSpan Project(int ahead)
    {
        lock (_gate)
        {
            var now = Now;
            return TimeSpan.FromTicks(ProjectLocked(now, ahead) - now);
        }
    }

    public bool Pause(TimeSpan delay, string reason)
    {
        lock (_gate)
        {
            var until = Now + delay.Ticks;
            if (until <= _pausedUntil)
            {
                return false;
            }

            _pausedUntil = until;
            _pauseReason = reason;
            return true;
        }
    }

    public void Apply(BudgetLimits limits, int expectedReplicas = 1)
    {
        lock (_gate)
        {
            _limits.Reconfigure(limits, Now);
            _current = limits;
        }

        PermitsMayBeFree?.Invoke();
    }

    public LedgerSnapshot Snapshot()
    {
        lock (_gate)
        {
            var now = Now;
            var windows = new int[_current.Windows.Count];
            var bucket = _limits.AvailableAt(now, windows);
            var paused = now < _pausedUntil;
            if (paused)
            {
                bucket = 0;
                Array.Clear(windows);
            }

            return new LedgerSnapshot(
                nameof(BudgetStore.Memory),
                true,
                _current,
                bucket,
                windows,
                paused ? _time.GetUtcNow() + TimeSpan.FromTicks(_pausedUntil - now) : null,
                paused ? _pauseReason : null);
        }
    }

    public void Dispose()
    {
    }

    /// <summary>When a permit would go behind <paramref name="ahead"/> others, attempts in flight taking their typical time.</summary>
    private long ProjectLocked(long now, int ahead)
    {
        _limits.Prune(now);
        _limits.BeginProjection(now, cautious: true);
        var at = Math.Max(now, _pausedUntil);
        for (var i = 0; i < ahead; i++)
        {
            at = _limits.EarliestFrom(at);
            _limits.Take(at);
        }

        at = _limits.EarliestFrom(at);
        _limits.EndProjection();
        return at;
    }

    private void Release(LinkedListNode<long>? entry, bool returned)
    {
        lock (_gate)
        {
            var now = Now;
            if (returned)
            {
                _limits.Return(entry, now);
            }
            else if (entry is not null)
            {
                _limits.Finish(entry, now);
            }
        }

        PermitsMayBeFree?.Invoke();
    }

    private sealed class Permit(MemoryPermitLedger ledger, LinkedListNode<long>? entry) : ILedgerPermit
    {
        private MemoryPermitLedger? _ledger = ledger;

        public void Release() => Interlocked.Exchange(ref _ledger, null)?.Release(entry, returned: false);

        public void Return() => Interlocked.Exchange(ref _ledger, null)?.Release(entry, returned: true);
    }
}
