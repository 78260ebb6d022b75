using System.Text;
using Microsoft.Extensions.Time.Testing;
using Serilog.Events;
using Serilog.Parsing;
using SmartLead.Gateway.Logging;

namespace SmartLead.Gateway.Tests.Logging;

public sealed class BackgroundStdoutSinkTests
{
    private static readonly MessageTemplate Template = new MessageTemplateParser().Parse("Event {Number}");

    [Fact]
    public async Task OneEvent_IsWrittenAtTheNextTickOfTheFlushInterval()
    {
        var time = new FakeTimeProvider();
        var stdout = new CapturingStream();
        using var sink = new BackgroundStdoutSink(stdout, time);

        sink.Emit(Event(1));
        Assert.Equal(0, stdout.Lines); // nothing woke the writer yet
        time.Advance(BackgroundStdoutSink.FlushInterval);

        await stdout.WaitForLinesAsync(1);
        Assert.Equal("Event 1", System.Text.Json.JsonDocument.Parse(stdout.Text.TrimEnd('\n')).RootElement.GetProperty("@m").GetString());
    }

    [Fact]
    public async Task BurstOfWakeThresholdEvents_IsWrittenWithoutWaitingForTheTick()
    {
        var stdout = new CapturingStream();
        using var sink = new BackgroundStdoutSink(stdout, new FakeTimeProvider());

        for (var i = 0; i < BackgroundStdoutSink.WakeThreshold; i++)
        {
            sink.Emit(Event(i));
        }

        await stdout.WaitForLinesAsync(BackgroundStdoutSink.WakeThreshold);
        Assert.Equal(BackgroundStdoutSink.WakeThreshold, stdout.Lines);
    }

    [Fact]
    public async Task StdoutStuck_RequestsWaitWhenTheQueueIsFullAndNoEventIsLost()
    {
        var stdout = new CapturingStream { Blocked = true };
        using var sink = new BackgroundStdoutSink(stdout, new FakeTimeProvider());
        // Beyond the queue, the events the writer takes before its first write blocks: a 64 KB block of these lines
        // holds about 1,000, and a block is at most half as large again before it is written.
        var events = BackgroundStdoutSink.Capacity + BackgroundStdoutSink.WakeThreshold + 5_000;

        try
        {
            // More events than the queue holds while the writer hangs on stdout: the requests that find it full wait.
            var requests = Task.Run(() =>
            {
                for (var i = 0; i < events; i++)
                {
                    sink.Emit(Event(i));
                }
            });
            await stdout.WaitForWriteAttemptAsync();
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (sink.WaitingForRoom == 0 && !requests.IsCompleted && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10);
            }

            Assert.False(requests.IsCompleted, "every event was taken while stdout was stuck: the queue is not bounded");
            Assert.Equal(1, sink.WaitingForRoom);

            stdout.Blocked = false;
            await requests.WaitAsync(TimeSpan.FromSeconds(30));
            sink.Dispose();
            Assert.Equal(events, stdout.Lines);
        }
        finally
        {
            // A failed assertion must not leave the writer stuck on stdout, or disposing the sink would hang the run.
            stdout.Blocked = false;
        }
    }

    [Fact]
    public void Dispose_WritesWhatIsQueuedAndClosesStdout()
    {
        var stdout = new CapturingStream();
        var sink = new BackgroundStdoutSink(stdout, new FakeTimeProvider());
        sink.Emit(Event(1));
        sink.Emit(Event(2));

        sink.Dispose();

        Assert.Equal(2, stdout.Lines);
        Assert.True(stdout.Disposed);
    }

    [Fact]
    public void EventThatCannotBeFormatted_CostsOnlyItsOwnLine()
    {
        var stdout = new CapturingStream();
        var sink = new BackgroundStdoutSink(stdout, new FakeTimeProvider());
        sink.Emit(Event(1));
        sink.Emit(new LogEvent(DateTimeOffset.UnixEpoch, LogEventLevel.Information, null, Template,
            [new LogEventProperty("Number", new ScalarValue(new Unprintable()))]));
        sink.Emit(Event(3));

        sink.Dispose();

        Assert.Equal(["Event 1", "Event 3"], stdout.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("@m").GetString()));
    }

    private static LogEvent Event(int number) =>
        new(DateTimeOffset.UnixEpoch, LogEventLevel.Information, null, Template, [new LogEventProperty("Number", new ScalarValue(number))]);

    private sealed class Unprintable
    {
        public override string ToString() => throw new InvalidOperationException("no text");
    }

    /// <summary>Stdout kept in memory; <see cref="Blocked"/> holds every write until it is cleared.</summary>
    private sealed class CapturingStream : Stream
    {
        private readonly MemoryStream _bytes = new();
        private readonly ManualResetEventSlim _open = new(true);
        private readonly TaskCompletionSource _writeAttempted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _lines;

        public bool Blocked
        {
            get => !_open.IsSet;
            set
            {
                if (value)
                {
                    _open.Reset();
                }
                else
                {
                    _open.Set();
                }
            }
        }

        public bool Disposed { get; private set; }

        public int Lines => Volatile.Read(ref _lines);

        public string Text
        {
            get
            {
                lock (_bytes)
                {
                    return Encoding.UTF8.GetString(_bytes.ToArray());
                }
            }
        }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public Task WaitForWriteAttemptAsync() => _writeAttempted.Task.WaitAsync(TimeSpan.FromSeconds(10));

        public async Task WaitForLinesAsync(int count)
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (Lines < count && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10);
            }
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _writeAttempted.TrySetResult();
            _open.Wait();
            lock (_bytes)
            {
                _bytes.Write(buffer);
            }

            Interlocked.Add(ref _lines, buffer.Count((byte)'\n'));
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            Disposed = true;
            base.Dispose(disposing);
        }
    }
}
