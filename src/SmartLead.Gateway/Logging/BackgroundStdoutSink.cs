using System.Collections.Concurrent;
using Serilog.Core;
using Serilog.Debugging;
using Serilog.Events;

namespace SmartLead.Gateway.Logging;

/// <summary>
/// Production's stdout: one compact JSON line per event (<see cref="CompactJsonLines"/>), written by one background
/// thread in blocks, so no request thread waits on stdout. It replaces Serilog's Async wrapper around a buffered sink,
/// whose pump thread was woken for every event: at one event per request that was a thread switch per request on
/// cores the proxy needs. Here a request only puts its event in a queue; the writer thread sleeps until the next tick
/// of <see cref="FlushInterval"/> (or until a burst has queued <see cref="WakeThreshold"/> events), then writes
/// everything queued in 64 KB blocks. A line therefore reaches stdout at most one interval after its event.
/// When <see cref="Capacity"/> events are waiting (stdout stuck), a request waits for room rather than dropping its
/// event: an audit trail with holes is worse than a wait.
/// </summary>
internal sealed class BackgroundStdoutSink : ILogEventSink, IDisposable
{
    /// <summary>The longest an event waits for its line to be written: a line ops wait for shows within a blink.</summary>
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>Events waiting beyond which a request waits for the writer (Serilog's Async default buffer size was 10,000; ours was 50,000).</summary>
    public const int Capacity = 50_000;

    /// <summary>
    /// A burst this large is written at once rather than at the next tick. Kept small because a queued event is live
    /// garbage: at 20,000 requests a second, 1,000 queued events (about 2 MB) were found alive by most gen0 collections,
    /// promoted, and made 6-8 gen1 collections a second; at 256 there were none, and the GC's pause time fell by a third
    /// (a writer wake-up per 256 events costs far less than that).
    /// </summary>
    public const int WakeThreshold = 256;

    private const int BlockBytes = 64 * 1024;

    private readonly ConcurrentQueue<LogEvent> _queue = new();
    private readonly ManualResetEventSlim _wake = new(initialState: false, spinCount: 0);
    private readonly object _room = new(); // where a request waits while the queue is full (Monitor.Wait needs an object)
    private readonly Stream _output;
    private readonly ITimer _timer;
    private readonly Thread _writer;
    private readonly CompactJsonLines _lines = new();
    private readonly ByteBuffer _block = new(BlockBytes + (BlockBytes / 2));
    private int _queued;
    private int _waitingForRoom;
    private volatile bool _closing;

    public BackgroundStdoutSink(Stream output, TimeProvider timeProvider)
    {
        _output = output;
        _writer = new Thread(WriteUntilClosed) { IsBackground = true, Name = "Log writer (stdout)" };
        _writer.Start();
        _timer = timeProvider.CreateTimer(static state => ((BackgroundStdoutSink)state!).Tick(), this, FlushInterval, FlushInterval);
    }

    /// <summary>Requests waiting for room in a full queue now (tests watch it).</summary>
    internal int WaitingForRoom => Volatile.Read(ref _waitingForRoom);

    public void Emit(LogEvent logEvent)
    {
        if (_closing)
        {
            return; // the host is stopping and the last block is being written; Serilog's Async wrapper dropped these too
        }

        while (true)
        {
            var queued = Interlocked.Increment(ref _queued);
            if (queued <= Capacity)
            {
                _queue.Enqueue(logEvent);
                if (queued == WakeThreshold)
                {
                    _wake.Set();
                }

                return;
            }

            Interlocked.Decrement(ref _queued);
            WaitForRoom();
        }
    }

    public void Dispose()
    {
        if (_closing)
        {
            return;
        }

        _closing = true;
        _timer.Dispose();
        _wake.Set();
        lock (_room)
        {
            Monitor.PulseAll(_room);
        }

        _writer.Join();
        _output.Dispose();
        _wake.Dispose();
    }

    private void Tick()
    {
        if (Volatile.Read(ref _queued) > 0)
        {
            _wake.Set();
        }
    }

    private void WaitForRoom()
    {
        lock (_room)
        {
            Interlocked.Increment(ref _waitingForRoom);
            try
            {
                _wake.Set();
                while (Volatile.Read(ref _queued) >= Capacity && !_closing)
                {
                    Monitor.Wait(_room);
                }
            }
            finally
            {
                Interlocked.Decrement(ref _waitingForRoom);
            }
        }
    }

    private void WriteUntilClosed()
    {
        while (!_closing)
        {
            _wake.Wait();
            _wake.Reset();
            WriteQueued();
        }

        WriteQueued(); // what came in while the host was closing
    }

    private void WriteQueued()
    {
        while (_queue.TryDequeue(out var logEvent))
        {
            // The decrement is a full fence before the read of _waitingForRoom, as WaitForRoom's increment is before
            // its read of _queued: one of the two always sees the other, so no request waits on a queue with room.
            Interlocked.Decrement(ref _queued);
            if (Volatile.Read(ref _waitingForRoom) > 0)
            {
                lock (_room)
                {
                    Monitor.PulseAll(_room);
                }
            }

            var lineStart = _block.Length;
            try
            {
                _lines.Write(logEvent, _block);
            }
            catch (Exception ex)
            {
                // One event that cannot be formatted (a property whose ToString throws) costs its own line only.
                _block.Truncate(lineStart);
                SelfLog.WriteLine("An event could not be written to stdout: {0}", ex);
            }

            if (_block.Length >= BlockBytes)
            {
                WriteBlock();
            }
        }

        if (_block.Length > 0)
        {
            WriteBlock();
        }
    }

    private void WriteBlock()
    {
        try
        {
            _output.Write(_block.Written);
            _output.Flush();
        }
        catch (IOException)
        {
            // stdout closed under us (a pipe whose reader went away): nothing left to write to.
        }
        catch (ObjectDisposedException)
        {
        }

        _block.Truncate(0);
    }
}
