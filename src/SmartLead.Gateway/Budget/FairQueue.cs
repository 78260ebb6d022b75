namespace SmartLead.Gateway.Budget;

/// <summary>
/// The order in which waiting requests get their permits when several clients share the budget: deficit round-robin
/// over clients (a client of weight <c>w</c> is served up to <c>w</c> requests per turn), FIFO within each client.
/// A client that starts waiting goes next, once the turn in progress (if any) is over and after other clients that
/// started waiting before it and have not been served yet, as FQ-CoDel serves new flows (RFC 8290): a client with a
/// few calls is not held behind another's backlog at all, and a client whose backlog keeps its lane busy gets no such
/// head start. Five interactive calls behind a bulk importer's two hundred go with every other permit from the next.
/// A client may also have a ceiling (<c>MaxShare</c>): while another client waits, it is passed over whenever serving it
/// would take its share of the permits served since the contention began above that fraction.
/// </summary>
/// <remarks>
/// Not thread-safe: the waiting room owns one and touches it under its lock. Every operation is O(1) except the
/// projections (<see cref="ForEachInServiceOrder"/>, <see cref="AheadOfNewcomer"/>), which walk the waiters once.
/// </remarks>
internal sealed class FairQueue<T>
{
    private readonly Dictionary<string, Lane> _lanes = new(StringComparer.Ordinal);
    private readonly LinkedList<Lane> _ring = new();
    private LinkedListNode<Lane>? _current;

    /// <summary>The latest lane that joined and has not been served yet: the next newcomer lines up behind it.</summary>
    private LinkedListNode<Lane>? _newest;

    /// <summary>Requests served since two or more clients began to wait together (the base of every client's share).</summary>
    private long _contendedServed;

    /// <summary>Requests waiting, all clients together.</summary>
    public int Count { get; private set; }

    /// <summary>Requests <paramref name="client"/> has waiting.</summary>
    public int CountOf(string client) => _lanes.TryGetValue(client, out var lane) ? lane.Items.Count : 0;

    /// <summary>Requests waiting, by client (a copy).</summary>
    public Dictionary<string, int> CountsByClient() =>
        _lanes.ToDictionary(pair => pair.Key, pair => pair.Value.Items.Count, StringComparer.Ordinal);

    /// <summary>Clients with at least one request waiting.</summary>
    public int ClientCount => _ring.Count;

    /// <summary>Adds <paramref name="item"/> at the end of <paramref name="client"/>'s lane.</summary>
    /// <param name="weight">The client's weight, at least 1; the latest value given counts from the client's next turn.</param>
    /// <param name="maxShare">The most of the permits the client may take while others wait, in (0, 1]; 1 is no ceiling.</param>
    public Entry Enqueue(string client, int weight, T item, double maxShare = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(weight, 1);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxShare);
        if (!_lanes.TryGetValue(client, out var lane))
        {
            lane = new Lane(client);
            _lanes.Add(client, lane);
        }

        lane.Weight = weight;
        lane.MaxShare = Math.Min(1, maxShare);
        if (lane.RingNode is null)
        {
            lane.RingNode = Join(lane);
            _newest = lane.RingNode;
        }

        var entry = new Entry(lane, item);
        entry.Node = lane.Items.AddLast(entry);
        Count++;
        return entry;
    }

    /// <summary>Takes out a request that gave up; false when it is no longer waiting.</summary>
    public bool Remove(Entry entry)
    {
        if (entry.Node is not { } node || node.List is null)
        {
            return false;
        }

        var lane = entry.Lane;
        lane.Items.Remove(node);
        entry.Node = null;
        Count--;
        if (lane.Items.Count == 0)
        {
            Retire(lane);
        }

        return true;
    }

    /// <summary>The request that would be served next, without taking it.</summary>
    public bool TryPeek(out T item)
    {
        if (_current is null)
        {
            item = default!;
            return false;
        }

        item = Selected().Value.Items.First!.Value.Item;
        return true;
    }

    /// <summary>Visits every waiting request, client by client (in no particular order): for sweeps that need no turns.</summary>
    public void ForEachWaiting<TState>(TState state, Action<TState, T> visit)
    {
        foreach (var lane in _ring)
        {
            foreach (var entry in lane.Items)
            {
                visit(state, entry.Item);
            }
        }
    }

    /// <summary>
    /// The two requests that have waited longest, whatever their turns (default when there are fewer): each client's
    /// lane is FIFO, so they are among the first two of the lanes. O(clients), nothing allocated.
    /// </summary>
    public void OldestTwo(Func<T, long> enqueuedAt, out T? oldest, out T? second)
    {
        oldest = default;
        second = default;
        long oldestAt = long.MaxValue, secondAt = long.MaxValue;
        foreach (var lane in _ring)
        {
            var node = lane.Items.First;
            for (var i = 0; i < 2 && node is not null; i++, node = node.Next)
            {
                var at = enqueuedAt(node.Value.Item);
                if (at < oldestAt)
                {
                    (second, secondAt) = (oldest, oldestAt);
                    (oldest, oldestAt) = (node.Value.Item, at);
                }
                else if (at < secondAt)
                {
                    (second, secondAt) = (node.Value.Item, at);
                }
            }
        }
    }

    /// <summary>Serves the next request: the head of the lane whose turn it is.</summary>
    public bool TryDequeue(out T item)
    {
        if (_current is null)
        {
            item = default!;
            return false;
        }

        var selected = Selected();
        while (!ReferenceEquals(_current, selected))
        {
            // Passed over at its ceiling: its turn is over.
            _current.Value.Credit = 0;
            _current = Next(_current);
        }

        var lane = _current.Value;
        if (lane.Credit <= 0)
        {
            lane.Credit = lane.Weight;
        }

        lane.Served = true;
        if (_ring.Count >= 2)
        {
            _contendedServed++;
            lane.ContendedServed++;
        }

        var entry = lane.Items.First!.Value;
        lane.Items.RemoveFirst();
        entry.Node = null;
        item = entry.Item;
        Count--;
        lane.Credit--;
        if (lane.Items.Count == 0)
        {
            Retire(lane);
        }
        else if (lane.Credit == 0)
        {
            _current = Next(_current);
        }

        return true;
    }

    /// <summary>
    /// Visits the waiting requests in the order they would be served if nobody else arrived or left, until
    /// <paramref name="visit"/> returns false. For projections: when will each waiter go?
    /// </summary>
    public void ForEachInServiceOrder<TState>(TState state, Func<TState, T, bool> visit) =>
        Simulate(probe: null, (state, visit), static (s, entry) => s.visit(s.state, entry!.Item));

    /// <summary>
    /// How many waiting requests would be served before a request that <paramref name="client"/> (with
    /// <paramref name="weight"/>) enqueued now: a newcomer's place, for refusing at once a wait that cannot fit.
    /// </summary>
    public int AheadOfNewcomer(string client, int weight, double maxShare = 1)
    {
        var ahead = 0;
        Simulate(probe: (client, weight, Math.Min(1, maxShare)), ahead, (_, entry) =>
        {
            if (entry is null)
            {
                return false; // the probe's turn came
            }

            ahead++;
            return true;
        });
        return ahead;
    }

    /// <summary>
    /// Whose turn it really is: from the current lane on, the first lane not at its ceiling (or the current lane when
    /// every lane is: a ceiling cannot hold for everyone at once).
    /// </summary>
    private LinkedListNode<Lane> Selected()
    {
        var node = _current!;
        for (var i = 0; i < _ring.Count; i++, node = Next(node))
        {
            if (!AtCeiling(node.Value.MaxShare, node.Value.ContendedServed, _contendedServed, _ring.Count))
            {
                return node;
            }
        }

        return _current!;
    }

    /// <summary>Serving one more of this lane would take it past its share of what was served since contention began.</summary>
    private static bool AtCeiling(double maxShare, long served, long total, int waitingClients) =>
        waitingClients >= 2 && maxShare < 1 && served + 1 > maxShare * (total + 1);

    private void Simulate<TState>((string Client, int Weight, double MaxShare)? probe, TState state, Func<TState, Entry?, bool> visit)
    {
        if (_current is null && probe is null)
        {
            return;
        }

        // A cursor per lane, in ring order from the lane whose turn it is; the probe is one more request at the end of
        // its client's lane, or a lane of its own where Join would put it.
        var cursors = new List<Cursor>(_ring.Count + 1);
        var newestIndex = -1;
        for (var node = _current; node is not null && cursors.Count < _ring.Count; node = Next(node))
        {
            var lane = node.Value;
            var isProbeLane = probe is { } p && p.Client == lane.Client;
            if (ReferenceEquals(node, _newest) && !lane.Served)
            {
                newestIndex = cursors.Count;
            }

            cursors.Add(new Cursor(lane.Items.First, lane.Credit, isProbeLane ? probe!.Value.Weight : lane.Weight, isProbeLane)
            {
                MaxShare = isProbeLane ? probe!.Value.MaxShare : lane.MaxShare,
                Served = lane.ContendedServed,
            });
        }

        if (probe is { } q && !cursors.Exists(c => c.HasProbe))
        {
            var at = newestIndex >= 0 ? newestIndex + 1 : cursors.Count > 0 && cursors[0].Credit > 0 ? 1 : 0;
            cursors.Insert(at, new Cursor(null, 0, q.Weight, true) { MaxShare = q.MaxShare });
        }

        var total = _contendedServed;
        if (cursors.Count < 2)
        {
            total = 0; // the probe's lane alone: no contention, nothing counted
            cursors.ForEach(c => c.Served = 0);
        }

        var index = 0;
        while (cursors.Count > 0)
        {
            // Whose turn it really is, as Selected() decides it; lanes passed over end their turns.
            for (var i = 0; i < cursors.Count; i++)
            {
                var candidate = cursors[(index + i) % cursors.Count];
                if (!AtCeiling(candidate.MaxShare, candidate.Served, total, cursors.Count))
                {
                    for (var skipped = 0; skipped < i; skipped++)
                    {
                        cursors[(index + skipped) % cursors.Count].Credit = 0;
                    }

                    index = (index + i) % cursors.Count;
                    break;
                }
            }

            var cursor = cursors[index];
            if (cursor.Credit <= 0)
            {
                cursor.Credit = cursor.Weight;
            }

            Entry? served;
            if (cursor.Next is { } next)
            {
                served = next.Value;
                cursor.Next = next.Next;
            }
            else
            {
                served = null; // only a probe lane runs out onto its probe
                cursor.HasProbe = false;
            }

            if (!visit(state, served))
            {
                return;
            }

            if (cursors.Count >= 2)
            {
                total++;
                cursor.Served++;
            }

            cursor.Credit--;
            if (cursor.Next is null && !cursor.HasProbe)
            {
                cursors.RemoveAt(index);
                if (index >= cursors.Count)
                {
                    index = 0;
                }

                if (cursors.Count < 2)
                {
                    total = 0;
                    cursors.ForEach(c => c.Served = 0);
                }
            }
            else if (cursor.Credit == 0)
            {
                index = (index + 1) % cursors.Count;
            }
        }
    }

    /// <summary>
    /// Puts a lane that starts waiting into the round: behind the newest lane not served yet, else right after the lane
    /// whose turn is in progress, else first (it goes before the lane whose turn was about to begin).
    /// </summary>
    private LinkedListNode<Lane> Join(Lane lane)
    {
        if (_current is null)
        {
            return _current = _ring.AddLast(lane);
        }

        if (_newest is { List: not null } newest && !newest.Value.Served)
        {
            return _ring.AddAfter(newest, lane);
        }

        if (_current.Value.Credit > 0)
        {
            return _ring.AddAfter(_current, lane);
        }

        return _current = _ring.AddBefore(_current, lane);
    }

    private void Retire(Lane lane)
    {
        var node = lane.RingNode!;
        if (ReferenceEquals(_current, node))
        {
            _current = _ring.Count == 1 ? null : Next(node);
        }

        if (ReferenceEquals(_newest, node))
        {
            _newest = null;
        }

        _ring.Remove(node);
        lane.RingNode = null;
        lane.Credit = 0;
        _lanes.Remove(lane.Client);
        if (_ring.Count < 2)
        {
            // Contention is over: shares count afresh when clients wait together again.
            _contendedServed = 0;
            foreach (var remaining in _ring)
            {
                remaining.ContendedServed = 0;
            }
        }
    }

    private LinkedListNode<Lane> Next(LinkedListNode<Lane> node) => node.Next ?? _ring.First!;

    /// <summary>One waiting request; keep it to <see cref="Remove"/> the request if its caller gives up.</summary>
    internal sealed class Entry(Lane lane, T item)
    {
        public T Item { get; } = item;

        public string Client => Lane.Client;

        internal Lane Lane { get; } = lane;

        internal LinkedListNode<Entry>? Node { get; set; }
    }

    /// <summary>One client's waiting requests, FIFO, and what is left of its current turn.</summary>
    internal sealed class Lane(string client)
    {
        public string Client { get; } = client;

        public int Weight { get; set; } = 1;

        public int Credit { get; set; }

        /// <summary>The most of the permits this lane may take while others wait (1: no ceiling).</summary>
        public double MaxShare { get; set; } = 1;

        /// <summary>Requests of this lane served since the contention began.</summary>
        public long ContendedServed { get; set; }

        /// <summary>Whether a request of this lane has been served since it joined (a new lane goes ahead until then).</summary>
        public bool Served { get; set; }

        public LinkedList<Entry> Items { get; } = new();

        public LinkedListNode<Lane>? RingNode { get; set; }
    }

    private sealed class Cursor(LinkedListNode<Entry>? next, int credit, int weight, bool hasProbe)
    {
        public LinkedListNode<Entry>? Next { get; set; } = next;

        public int Credit { get; set; } = credit;

        public int Weight { get; } = weight;

        public bool HasProbe { get; set; } = hasProbe;

        public double MaxShare { get; init; } = 1;

        public long Served { get; set; }
    }
}
