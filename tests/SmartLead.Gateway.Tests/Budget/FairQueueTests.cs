using CsCheck;
using SmartLead.Gateway.Budget;

namespace SmartLead.Gateway.Tests.Budget;

public sealed class FairQueueTests
{
    [Fact]
    public void Dequeue_OneClient_IsFifo()
    {
        var queue = new FairQueue<int>();
        for (var i = 0; i < 5; i++)
        {
            queue.Enqueue("bulk", 1, i);
        }

        Assert.Equal([0, 1, 2, 3, 4], DrainAll(queue));
    }

    [Fact]
    public void Dequeue_InteractiveArrivesBehind200Bulk_IsServedEveryOtherTurn()
    {
        var queue = new FairQueue<string>();
        for (var i = 0; i < 200; i++)
        {
            queue.Enqueue("bulk", 1, $"b{i}");
        }

        for (var i = 0; i < 5; i++)
        {
            queue.Enqueue("crm", 1, $"i{i}");
        }

        var order = DrainAll(queue);

        Assert.Equal(["b0", "i0", "b1", "i1", "b2", "i2", "b3", "i3", "b4", "i4", "b5"], order.Take(11));
        Assert.Equal(205, order.Count);
    }

    [Fact]
    public void Dequeue_Weights_ServeThatManyPerTurn()
    {
        var queue = new FairQueue<string>();
        for (var i = 0; i < 6; i++)
        {
            queue.Enqueue("heavy", 3, "h");
            queue.Enqueue("light", 1, "l");
        }

        Assert.Equal("hhhlhhhlllll", string.Concat(DrainAll(queue)));
    }

    [Fact]
    public void Dequeue_NewcomerGoesAfterOtherNewcomersNotYetServed()
    {
        var queue = new FairQueue<string>();
        queue.Enqueue("a", 1, "a1");
        queue.Enqueue("a", 1, "a2");
        queue.Enqueue("b", 1, "b1");
        queue.Enqueue("b", 1, "b2");
        Assert.True(queue.TryDequeue(out var first));
        Assert.Equal("a1", first);

        queue.Enqueue("c", 1, "c1"); // b joined before c and has not been served yet: b, then c, then a again

        Assert.Equal(["b1", "c1", "a2", "b2"], DrainAll(queue));
    }

    [Fact]
    public void Dequeue_NewcomerBehindABusyClient_GoesNext()
    {
        var queue = new FairQueue<string>();
        for (var i = 0; i < 10; i++)
        {
            queue.Enqueue("bulk", 1, $"b{i}");
        }

        queue.TryDequeue(out _);
        queue.TryDequeue(out _); // bulk has been served: its backlog gets no head start over a newcomer

        queue.Enqueue("crm", 1, "i0");
        queue.Enqueue("crm", 1, "i1");

        Assert.Equal(["i0", "b2", "i1", "b3"], DrainAll(queue).Take(4));
    }

    [Fact]
    public void Dequeue_NewcomerDuringAWeightedTurn_WaitsForTheTurnToEnd()
    {
        var queue = new FairQueue<string>();
        for (var i = 0; i < 6; i++)
        {
            queue.Enqueue("heavy", 3, "h");
        }

        queue.TryDequeue(out _); // heavy's turn of three has begun

        queue.Enqueue("crm", 1, "i");

        Assert.Equal("hhihhh", string.Concat(DrainAll(queue)));
    }

    [Fact]
    public void Remove_WaiterThatGaveUp_LeavesTheOthersInOrder()
    {
        var queue = new FairQueue<string>();
        queue.Enqueue("a", 1, "a1");
        var gone = queue.Enqueue("a", 1, "a2");
        queue.Enqueue("a", 1, "a3");
        queue.Enqueue("b", 1, "b1");

        Assert.True(queue.Remove(gone));
        Assert.False(queue.Remove(gone));

        Assert.Equal(3, queue.Count);
        Assert.Equal(["a1", "b1", "a3"], DrainAll(queue));
    }

    [Fact]
    public void Remove_ClientsLastWaiter_RetiresItsLaneAndTheTurnMovesOn()
    {
        var queue = new FairQueue<string>();
        var only = queue.Enqueue("a", 1, "a1");
        queue.Enqueue("b", 1, "b1");

        queue.Remove(only);

        Assert.Equal(1, queue.ClientCount);
        Assert.Equal(0, queue.CountOf("a"));
        Assert.True(queue.TryPeek(out var next));
        Assert.Equal("b1", next);
    }

    [Fact]
    public void Dequeue_Empty_ReturnsFalse()
    {
        var queue = new FairQueue<string>();

        Assert.False(queue.TryDequeue(out _));
        Assert.False(queue.TryPeek(out _));
    }

    [Fact]
    public void AheadOfNewcomer_BehindBulk_CountsOneBulkPerTurn()
    {
        var queue = new FairQueue<string>();
        for (var i = 0; i < 200; i++)
        {
            queue.Enqueue("bulk", 1, "b");
        }

        for (var i = 0; i < 3; i++)
        {
            queue.Enqueue("crm", 1, "i");
        }

        Assert.Equal(7, queue.AheadOfNewcomer("crm", 1)); // b i b i b i b, then the newcomer
        Assert.Equal(2, queue.AheadOfNewcomer("reports", 1)); // behind the two newcomers not served yet, bulk and crm
        Assert.Equal(203, queue.AheadOfNewcomer("bulk", 1));
    }

    [Fact]
    public void AheadOfNewcomer_EmptyQueue_IsZero()
    {
        Assert.Equal(0, new FairQueue<string>().AheadOfNewcomer("crm", 1));
    }

    [Fact]
    public void Property_ServiceOrderAndNewcomerPlace_MatchWhatDequeueDoes()
    {
        // Any mix of enqueues (3 clients, weights 1-3, one with a ceiling), removals and dequeues: the projected order
        // equals the order in which the requests are then really served, and a newcomer's projected place is where it
        // is really served. (Two queues built alike: with a ceiling, one more request changes the others' order.)
        Gen.Select(Gen.Int[0, 3].Array[1, 60], Gen.Int[0, 3]).Sample((ops, probeClient) =>
        {
            var probeWeight = (probeClient % 3) + 1; // a client keeps its weight; client 3 is a newcomer of weight 1
            var plain = Build(ops);
            var projected = new List<int>();
            plain.ForEachInServiceOrder(projected, static (list, item) =>
            {
                list.Add(item);
                return true;
            });
            Assert.Equal(projected, DrainAll(plain));

            var probed = Build(ops);
            var ahead = probed.AheadOfNewcomer($"c{probeClient}", probeWeight, Share(probeClient));
            probed.Enqueue($"c{probeClient}", probeWeight, -1, Share(probeClient));
            Assert.Equal(ahead, DrainAll(probed).IndexOf(-1));
        }, iter: 5000);
    }

    private static FairQueue<int> Build(int[] ops)
    {
        var queue = new FairQueue<int>();
        var entries = new List<FairQueue<int>.Entry>();
        var next = 0;
        foreach (var op in ops)
        {
            switch (op)
            {
                case 0 or 1 or 2:
                    entries.Add(queue.Enqueue($"c{op}", (op % 3) + 1, next++, Share(op)));
                    break;
                default:
                    if (entries.Count > 0 && next % 2 == 0)
                    {
                        queue.Remove(entries[next % entries.Count]);
                    }

                    queue.TryDequeue(out _);
                    break;
            }
        }

        return queue;
    }

    [Fact]
    public void Dequeue_MaxShareWhileAnotherWaits_CapsTheClientsPartOfThePermits()
    {
        var queue = new FairQueue<string>();
        for (var i = 0; i < 40; i++)
        {
            queue.Enqueue("bulk", 3, "b", maxShare: 0.25);
            queue.Enqueue("crm", 1, "i");
        }

        var first40 = DrainAll(queue).Take(40).ToList();

        // Weight 3 alone would give bulk three of every four permits; its ceiling holds it to a quarter.
        Assert.InRange(first40.Count(x => x == "b"), 9, 10);
    }

    [Fact]
    public void Dequeue_MaxShareAlone_DoesNotHoldTheClientBack()
    {
        var queue = new FairQueue<string>();
        for (var i = 0; i < 5; i++)
        {
            queue.Enqueue("bulk", 1, $"b{i}", maxShare: 0.1);
        }

        Assert.Equal(["b0", "b1", "b2", "b3", "b4"], DrainAll(queue));
    }

    [Fact]
    public void Dequeue_EveryClientAtItsCeiling_StillServes()
    {
        var queue = new FairQueue<string>();
        for (var i = 0; i < 4; i++)
        {
            queue.Enqueue("a", 1, "a", maxShare: 0.2);
            queue.Enqueue("b", 1, "b", maxShare: 0.2);
        }

        Assert.Equal(8, DrainAll(queue).Count);
    }

    /// <summary>Client 2 of the property test has a ceiling of a third; the others none.</summary>
    private static double Share(int client) => client == 2 ? 1.0 / 3 : 1;

    private static List<T> DrainAll<T>(FairQueue<T> queue)
    {
        var served = new List<T>();
        while (queue.TryPeek(out var peeked))
        {
            Assert.True(queue.TryDequeue(out var item));
            Assert.Equal(peeked, item); // the waiting room peeks the head, asks the ledger, then serves it
            served.Add(item);
        }

        Assert.False(queue.TryDequeue(out _));

        return served;
    }
}
