using System.Text;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace SmartLead.Gateway.Logging;

/// <summary>
/// Production's stdout: the same compact JSON lines as Serilog's console sink, without its cost. That sink writes and
/// flushes every event (one system call per request at load, the largest single cost of the request log); this one
/// fills a 64 KB buffer and writes it when full or every <see cref="FlushInterval"/>, so a burst of events goes out
/// in a few writes. It sits inside the Async wrapper: only the wrapper's one background thread calls
/// <see cref="Emit"/>, so no request thread ever waits on stdout or on the lock here, which is the writer's own
/// (shared only with the flush timer, as Serilog's console sink shares one with other writers).
/// </summary>
internal sealed class BufferedStdoutSink : ILogEventSink, IDisposable
{
    /// <summary>The longest an event stays in the buffer: a line ops wait for shows within a blink.</summary>
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(50);

    private readonly ITextFormatter _formatter;
    private readonly StreamWriter _writer;
    private readonly Lock _gate = new();
    private readonly ITimer _timer;
    private bool _unflushed;
    private bool _disposed;

    public BufferedStdoutSink(ITextFormatter formatter, Stream output, TimeProvider timeProvider)
    {
        _formatter = formatter;
        _writer = new StreamWriter(output, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 64 * 1024) { AutoFlush = false };
        _timer = timeProvider.CreateTimer(static state => ((BufferedStdoutSink)state!).FlushIfPending(), this, FlushInterval, FlushInterval);
    }

    public void Emit(LogEvent logEvent)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            // StreamWriter writes its buffer out by itself whenever it fills; the timer takes care of the rest.
            _formatter.Format(logEvent, _writer);
            _unflushed = true;
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _writer.Flush();
            _writer.Dispose();
        }
    }

    private void FlushIfPending()
    {
        lock (_gate)
        {
            if (_unflushed && !_disposed)
            {
                _unflushed = false;
                try
                {
                    _writer.Flush();
                }
                catch (IOException)
                {
                    // stdout closed under us (a pipe whose reader went away): nothing left to write to.
                }
            }
        }
    }
}
