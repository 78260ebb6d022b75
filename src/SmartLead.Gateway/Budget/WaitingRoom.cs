using System.Threading.RateLimiting;
using SmartLead.Gateway.Telemetry;

namespace SmartLead.Gateway.Budget;

/// <summary>
/// The waiting room of one replica: callers that cannot have a permit yet wait here, at most <c>QueueLimit</c> of them
/// (and at most a client's own <c>QueueLimit</c> of one client's), each until its deadline (<c>MaxQueueWait</c>, or
/// less when the caller asked for less); a caller who gives up leaves without a trace. Clients take turns
/// (<see cref="FairQueue{T}"/>: round-robin by weight, FIFO within a client), so a bulk importer's backlog does not
/// stand in front of an interactive caller; with one client it is plain FIFO. Only the head asks the <see cref="IPermitLedger"/>, one ask at a time, and one timer wakes the room
/// when the ledger says a permit may be free. The ledger is asked outside the lock: a Redis round trip must never
/// hold up callers that only want to join or leave the queue.
/// </summary>
/// <remarks>
/// Why wake-ups, not reservations, with a shared ledger: a reservation books a future slot in the bucket and every
/// window, so every cancelled caller would have to give back a slot in the middle of other replicas' bookings, and a
/// window that waits on an attempt still in flight has no slot to book at all (when it frees depends on an answer
/// nobody has seen yet). Instead the ledger says when a permit may come free at the soonest (never later than the
/// truth), the timer wakes the head then and it asks again: one round trip per try, no polling in between, and a
/// caller who leaves before its turn has taken nothing from the shared budget. A free permit goes to the replica whose
/// head has waited longest (<see cref="RedisLedgerScript"/>); the others are told when the next one may come free.
/// A permit given back wakes the room at once, and so, with the memory ledger, does every release.
/// </remarks>
internal sealed partial class WaitingRoom : IDisposable
{
    private readonly Lock _gate = new();
    private readonly FairQueue<Waiter> _queue = new();
    private readonly IPermitLedger _ledger;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly GatewayMetrics? _metrics;
    private readonly ITimer _timer;
    private readonly Action _wake;
    private int _queueLimit;
    private TimeSpan _maxQueueWait;
    private bool _dispatching;
    private bool _askAgain;
    private bool _disposed;
    private long _lastGrant;
    private long _successfulLeases;
    private long _failedLeases;

    public WaitingRoom(IPermitLedger ledger, int queueLimit, TimeSpan maxQueueWait, TimeProvider time, ILogger logger, GatewayMetrics? metrics)
    {
        _ledger = ledger;
        _queueLimit = queueLimit;
        _maxQueueWait = maxQueueWait;
        _time = time;
        _logger = logger;
        _metrics = metrics;
        _lastGrant = time.GetTimestamp();
        _timer = time.CreateTimer(static state => ((WaitingRoom)state!).Wake(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _wake = Wake;
        ledger.PermitsMayBeFree += _wake;
    }

    public int QueueLength
    {
        get
        {
            lock (_gate)
            {
                return _queue.Count;
            }
        }
    }

    public long SuccessfulLeases => Interlocked.Read(ref _successfulLeases);

    public long FailedLeases => Interlocked.Read(ref _failedLeases);

    /// <summary>Requests waiting, by client.</summary>
    public IReadOnlyDictionary<string, int> QueueByClient()
    {
        lock (_gate)
        {
            return _queue.CountsByClient();
        }
    }

    /// <summary>How long the oldest waiter has waited so far; zero when nobody waits.</summary>
    public TimeSpan LongestWait
    {
        get
        {
            lock (_gate)
            {
                _queue.OldestTwo(EnqueuedAt, out var oldest, out _);
                return oldest is null ? TimeSpan.Zero : _time.GetElapsedTime(oldest.Enqueued);
            }
        }
    }

    /// <summary>Time since the last permit while nobody waits; null while someone does.</summary>
    public TimeSpan? IdleDuration
    {
        get
        {
            lock (_gate)
            {
                return _queue.Count == 0 ? _time.GetElapsedTime(Interlocked.Read(ref _lastGrant)) : null;
            }
        }
    }

    /// <summary>
    /// How far a waiter already admitted may slip past its deadline before it is refused after all: a quarter of
    /// <paramref name="maxQueueWait"/>, at least 50 ms. Admission projects when attempts in flight will finish; a slow
    /// answer, a late timer or a stalled machine moves every later permit, and refusing a caller who has already
    /// waited most of its time over such a slip is worse than letting it go a little late. Pauses and reloads move
    /// projections by far more and still refuse at once.
    /// </summary>
    public static TimeSpan DeadlineSlack(TimeSpan maxQueueWait) =>
        TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond * 50, maxQueueWait.Ticks / 4));

    /// <summary>New queue bounds; waiters keep their places and deadlines, and the head asks again at once.</summary>
    public void Configure(int queueLimit, TimeSpan maxQueueWait)
    {
        lock (_gate)
        {
            _queueLimit = queueLimit;
            _maxQueueWait = maxQueueWait;
        }

        Wake();
    }

    /// <summary>One permit: at once, after waiting in line, or a refusal with <c>Retry-After</c>.</summary>
    /// <param name="client">Who asks: its turn among the clients waiting, its weight, its own queue limit and wait.</param>
    /// <param name="cancellationToken">The caller giving up: it leaves the line and spends nothing.</param>
    /// <remarks>
    /// Without a state machine when the ledger answers synchronously (memory): the caller then gets the waiter's own
    /// task, completed by the dispatcher, rather than a continuation of it one thread-pool hop later.
    /// </remarks>
    public ValueTask<RateLimitLease> AcquireAsync(BudgetTicket client, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        int ahead;
        int queued;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);

            // A newcomer's place in the turns, not the length of the line: behind one turn of each client waiting.
            queued = _queue.Count;
            ahead = queued == 0 ? 0 : _queue.AheadOfNewcomer(client.Name, Math.Max(1, client.Weight), client.MaxShare ?? 1);
        }

        // Straight to the ledger only when nobody waits here: a newcomer whose turn comes first still joins the line, so
        // the dispatcher serves it and the shared ledger keeps seeing this replica's waiters.
        if (queued == 0)
        {
            var take = _ledger.TryTakeAsync(QueueState.Newcomer, cancellationToken);
            return take.IsCompletedSuccessfully ? Admit(take.Result, client, cancellationToken) : AdmitLaterAsync(take, client, cancellationToken);
        }

        var projection = _ledger.ProjectAsync(ahead, cancellationToken);
        return projection.IsCompletedSuccessfully
            ? Enqueue(projection.Result, client, cancellationToken)
            : EnqueueLaterAsync(projection, client, cancellationToken);
    }

    /// <summary>Synchronous form for <see cref="RateLimiter.AttemptAcquire"/>: a permit now, or a refusal; never waits in line.</summary>
    public RateLimitLease AttemptAcquire()
    {
        int ahead;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ahead = _queue.Count;
        }

        // Nothing in the gateway calls this (it always waits in line); a RateLimiter must still answer. A shared
        // ledger's round trip is waited for on this thread.
        if (ahead == 0)
        {
            var answer = Wait(_ledger.TryTakeAsync(QueueState.Newcomer, CancellationToken.None));
            return answer.Permit is { } permit ? Granted(permit, TimeSpan.Zero) : Refuse(RefusalReason.QueueFull, answer.ProjectedIn, 0, _maxQueueWait, quiet: true);
        }

        return Refuse(RefusalReason.QueueFull, Wait(_ledger.ProjectAsync(ahead, CancellationToken.None)), ahead, _maxQueueWait, quiet: true);
    }

    /// <summary>Lets every waiter go without a permit: the budget was switched off.</summary>
    public void ReleaseAll()
    {
        List<Waiter> waiters;
        lock (_gate)
        {
            waiters = DrainAll();
        }

        foreach (var waiter in waiters)
        {
            waiter.Complete(BudgetLease.Unlimited);
        }
    }

    /// <summary>Asks the ledger for the head's permit soon (a timer fired, a permit came back, the limits changed).</summary>
    public void Wake()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            if (_dispatching)
            {
                _askAgain = true;
                return;
            }

            _dispatching = true;
        }

        _ = DispatchAsync();
    }

    public void Dispose()
    {
        List<Waiter> waiters;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            waiters = DrainAll();
        }

        _ledger.PermitsMayBeFree -= _wake;
        _timer.Dispose();
        foreach (var waiter in waiters)
        {
            waiter.Complete(BudgetLease.Refused(null));
        }
    }

    private async ValueTask<RateLimitLease> AdmitLaterAsync(ValueTask<LedgerAnswer> take, BudgetTicket client, CancellationToken cancellationToken) =>
        await Admit(await take, client, cancellationToken);

    private async ValueTask<RateLimitLease> EnqueueLaterAsync(ValueTask<TimeSpan> projection, BudgetTicket client, CancellationToken cancellationToken) =>
        await Enqueue(await projection, client, cancellationToken);

    /// <summary>A newcomer nobody waited before: the permit the ledger gave, or a place in line.</summary>
    private ValueTask<RateLimitLease> Admit(LedgerAnswer answer, BudgetTicket client, CancellationToken cancellationToken)
    {
        if (answer.Permit is not { } permit)
        {
            return Enqueue(answer.ProjectedIn, client, cancellationToken);
        }

        if (cancellationToken.IsCancellationRequested)
        {
            // The caller left during a shared ledger's round trip: nothing will be sent, the permit goes back.
            permit.Return();
            return ValueTask.FromCanceled<RateLimitLease>(cancellationToken);
        }

        return new(Granted(permit, TimeSpan.Zero));
    }

    /// <summary>
    /// A place in the client's lane, or a refusal at once when the line (or the client's share of it) is full or the wait
    /// too long for <c>MaxQueueWait</c> or for the caller's own, shorter limit.
    /// </summary>
    private ValueTask<RateLimitLease> Enqueue(TimeSpan goesIn, BudgetTicket client, CancellationToken cancellationToken)
    {
        Waiter? waiter = null;
        string? refusal = null;
        int queued;
        TimeSpan maxWait;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            queued = _queue.Count;
            maxWait = client.MaxWait is { } asked && asked < _maxQueueWait ? asked : _maxQueueWait;
            if (queued >= _queueLimit)
            {
                refusal = RefusalReason.QueueFull;
            }
            else if (client.QueueLimit is { } own && _queue.CountOf(client.Name) >= own)
            {
                refusal = RefusalReason.ClientQueueFull;
            }
            else if (goesIn > maxWait)
            {
                refusal = RefusalReason.WaitTooLong;
            }
            else
            {
                waiter = new Waiter(this, _time.GetTimestamp(), maxWait);
                waiter.Entry = _queue.Enqueue(client.Name, Math.Max(1, client.Weight), waiter, client.MaxShare ?? 1);

                // Registered last: if the token fires meanwhile the callback runs inline, re-enters the lock and
                // finds the waiter already queued, so it can take it out again.
                waiter.Registration = cancellationToken.UnsafeRegister(static (state, token) => ((Waiter)state!).Cancel(token), waiter);
            }
        }

        if (waiter is null)
        {
            return new(Refuse(refusal!, goesIn, queued, maxWait));
        }

        Wake();
        return new(waiter.Task);
    }

    private static long EnqueuedAt(Waiter waiter) => waiter.Enqueued;

    /// <summary>Takes every waiter out (under the lock).</summary>
    private List<Waiter> DrainAll()
    {
        var waiters = new List<Waiter>(_queue.Count);
        while (_queue.TryDequeue(out var waiter))
        {
            waiters.Add(waiter);
        }

        return waiters;
    }

    private static T Wait<T>(ValueTask<T> pending) =>
        pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();

    /// <summary>
    /// Grants the head while the ledger says yes. When it says "not yet", refuses now every waiter who could not
    /// go in time even if it were next (its deadline plus slack comes before the soonest permit), and sets the
    /// timer for that soonest permit. Runs alone; a wake-up meanwhile makes it ask once more.
    /// </summary>
    private async Task DispatchAsync()
    {
        try
        {
            await DispatchCoreAsync();
        }
        catch (Exception ex)
        {
            // Whatever threw (a metrics listener, a log sink), the room must not stop dispatching for good: the flag is
            // cleared and the timer asks again in a second.
            Log.DispatchFailed(_logger, ex);
            lock (_gate)
            {
                _dispatching = false;
                if (!_disposed && _queue.Count > 0)
                {
                    _timer.Change(TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
                }
            }
        }
    }

    private async Task DispatchCoreAsync()
    {
        while (true)
        {
            Waiter head;
            QueueState queue;
            lock (_gate)
            {
                _askAgain = false;
                if (_disposed || !_queue.TryPeek(out head))
                {
                    _dispatching = false;
                    _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                    return;
                }

                // Across replicas the ledger orders by age: this replica's two longest waits, whoever's turn it is
                // here. Turns between clients hold within each replica.
                var now = _time.GetTimestamp();
                _queue.OldestTwo(EnqueuedAt, out var oldest, out var second);
                queue = new QueueState(
                    _queue.Count,
                    _time.GetElapsedTime(oldest!.Enqueued, now),
                    second is not null ? _time.GetElapsedTime(second.Enqueued, now) : TimeSpan.Zero);
            }

            LedgerAnswer answer;
            try
            {
                answer = await _ledger.TryTakeAsync(queue, CancellationToken.None);
            }
            catch (Exception ex)
            {
                // Ledgers answer from a local fallback rather than throw; should one throw anyway, the waiters
                // must not be left without a timer.
                Log.LedgerFailed(_logger, ex);
                answer = new LedgerAnswer(null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
            }

            List<(Waiter Waiter, TimeSpan Waited)>? refused = null;
            var retryIn = answer.RetryIn;
            var granted = false;
            var stop = false;
            lock (_gate)
            {
                if (answer.Permit is not null)
                {
                    granted = !_disposed && _queue.TryPeek(out var next) && ReferenceEquals(next, head);
                    if (granted)
                    {
                        // Still the one whose turn it is, so serving it moves the turns on as the fair queue says. (A
                        // client that joined or left during the ask can change whose turn it is; then the permit goes
                        // back below and the ledger is asked again for the new head.)
                        _queue.TryDequeue(out _);
                    }
                }
                else
                {
                    var now = _time.GetTimestamp();
                    var soonest = now + (long)(retryIn.TotalSeconds * _time.TimestampFrequency);
                    var late = new List<Waiter>();
                    _queue.ForEachWaiting((late, soonest), static (s, waiter) =>
                    {
                        if (waiter.RefuseBy < s.soonest)
                        {
                            s.late.Add(waiter);
                        }
                    });
                    foreach (var waiter in late)
                    {
                        _queue.Remove(waiter.Entry!);
                        (refused ??= []).Add((waiter, _time.GetElapsedTime(waiter.Enqueued, now)));
                    }

                    if (!_askAgain)
                    {
                        stop = true;
                        _dispatching = false;
                        if (_queue.Count > 0)
                        {
                            // Timers count whole milliseconds; rounding up wakes at or just after the permit, never before it.
                            // At least once an hour, whatever the ledger said: a wake-up too many costs one ask.
                            var milliseconds = Math.Clamp(Math.Ceiling(retryIn.TotalMilliseconds), 1, TimeSpan.FromHours(1).TotalMilliseconds);
                            _timer.Change(TimeSpan.FromMilliseconds(milliseconds), Timeout.InfiniteTimeSpan);
                        }
                    }
                }
            }

            if (answer.Permit is { } permit)
            {
                if (granted)
                {
                    head.Complete(Granted(permit, _time.GetElapsedTime(head.Enqueued)));
                }
                else
                {
                    // The head left while the ledger was asked: nothing is sent for it, the permit goes back.
                    permit.Return();
                }
            }

            foreach (var (waiter, waited) in refused ?? [])
            {
                Interlocked.Increment(ref _failedLeases);
                _metrics?.RateLimitRejection(RefusalReason.Late);
                Log.WaiterRefused(_logger, waited, retryIn, waiter.MaxWait);
                waiter.Complete(BudgetLease.Refused(retryIn));
            }

            if (stop)
            {
                return;
            }
        }
    }

    private RateLimitLease Granted(ILedgerPermit permit, TimeSpan waited)
    {
        Interlocked.Increment(ref _successfulLeases);
        Interlocked.Exchange(ref _lastGrant, _time.GetTimestamp());
        _metrics?.QueueWait(waited);
        return new BudgetLease(permit);
    }

    private RateLimitLease Refuse(string reason, TimeSpan retryAfter, int queued, TimeSpan maxWait, bool quiet = false)
    {
        Interlocked.Increment(ref _failedLeases);
        if (!quiet)
        {
            _metrics?.RateLimitRejection(reason);
        }

        Log.Refused(_logger, reason, queued, retryAfter, maxWait);
        return BudgetLease.Refused(retryAfter);
    }

    private void Remove(Waiter waiter, CancellationToken token)
    {
        lock (_gate)
        {
            if (waiter.Entry is null || !_queue.Remove(waiter.Entry))
            {
                return;
            }
        }

        waiter.TrySetCanceled(token);
    }

    /// <summary>The small fixed set of refusal reasons, as metric labels.</summary>
    internal static class RefusalReason
    {
        public const string QueueFull = "queue_full";
        public const string ClientQueueFull = "client_queue_full";
        public const string WaitTooLong = "wait_too_long";
        public const string Late = "late";
    }

    private sealed class Waiter(WaitingRoom room, long enqueued, TimeSpan maxWait)
        : TaskCompletionSource<RateLimitLease>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public long Enqueued { get; } = enqueued;

        /// <summary>The longest it will wait: <c>MaxQueueWait</c>, or less when the caller asked for less.</summary>
        public TimeSpan MaxWait { get; } = maxWait;

        /// <summary>The latest timestamp its permit may come at: the deadline plus slack.</summary>
        public long RefuseBy { get; } = enqueued
            + (long)((maxWait + DeadlineSlack(maxWait)).TotalSeconds * room._time.TimestampFrequency);

        public FairQueue<Waiter>.Entry? Entry { get; set; }

        public CancellationTokenRegistration Registration { get; set; }

        public void Cancel(CancellationToken token) => room.Remove(this, token);

        public void Complete(RateLimitLease lease)
        {
            // Unregister, not Dispose: Dispose would wait for a running cancel callback that waits for our lock.
            Registration.Unregister();
            if (!TrySetResult(lease))
            {
                lease.Dispose();
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4002, Level = LogLevel.Debug,
            Message = "Upstream budget refused a request ({Reason}; {Queued} waiting), retry after {RetryAfter}, max wait {MaxQueueWait}")]
        public static partial void Refused(ILogger logger, string reason, int queued, TimeSpan retryAfter, TimeSpan maxQueueWait);

        [LoggerMessage(EventId = 4004, Level = LogLevel.Debug,
            Message = "A waiting request can no longer go within {MaxQueueWait} (waited {Waited}, next permit in {RetryIn}); refused")]
        public static partial void WaiterRefused(ILogger logger, TimeSpan waited, TimeSpan retryIn, TimeSpan maxQueueWait);

        [LoggerMessage(EventId = 4013, Level = LogLevel.Error,
            Message = "The waiting room's dispatcher failed; it asks the ledger again in a second")]
        public static partial void DispatchFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 4003, Level = LogLevel.Error,
            Message = "The permit ledger failed; the waiting room asks again in a second")]
        public static partial void LedgerFailed(ILogger logger, Exception exception);
    }
}
