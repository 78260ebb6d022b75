using System.Buffers;
using Microsoft.AspNetCore.Http.Features;
using SmartLead.Gateway.Configuration;
using SmartLead.Gateway.Errors;

namespace SmartLead.Gateway.Logging;

/// <summary>
/// The outermost step of the request path: gives the request its id and writes one structured event when the
/// response is done — request id, method, path (never the query: that is where keys live), status, elapsed time,
/// upstream attempts, retry reasons and budget wait, and, when turned on, the masked bodies. It runs on every request,
/// so the common case allocates one small feature object and nothing else.
/// </summary>
internal sealed partial class RequestLoggingMiddleware(
    RequestDelegate next,
    LiveOptions<RequestLoggingOptions> options,
    SecretRedactor redactor,
    TimeProvider timeProvider,
    ILogger<RequestLoggingMiddleware> logger)
{
    public const string RequestIdHeader = "X-Request-Id";
    private const int MaxRequestIdLength = 128;

    private SecretFieldSet? _secretFields;

    public async Task InvokeAsync(HttpContext context)
    {
        var started = timeProvider.GetTimestamp();
        var requestId = AcceptRequestId(context.Request.Headers[RequestIdHeader]) ?? RequestIds.Next();
        context.TraceIdentifier = requestId;
        var feature = new RequestLogFeature(requestId);
        context.Features.Set(feature);
        context.Response.OnStarting(static state =>
        {
            var (ctx, id) = ((HttpContext, string))state;
            ctx.Response.Headers[RequestIdHeader] = id;
            return Task.CompletedTask;
        }, (context, requestId));

        var settings = options.Current;
        var capture = settings.Bodies == BodyLogging.None ? null : BodyCapture.Start(context, settings.MaxBodyBytes);
        try
        {
            await next(context);
        }
        catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested)
        {
            // Nothing below should throw; if something does, the client still gets the envelope and ops an Error.
            Log.Unhandled(logger, ex, requestId);
            await GatewayError.WriteAsync(context, StatusCodes.Status500InternalServerError, GatewayError.InternalError,
                "The gateway failed to handle this request; it has been logged with its request id.");
        }
        finally
        {
            try
            {
                WriteRequestEvent(context, feature, settings, capture, timeProvider.GetElapsedTime(started));
            }
            finally
            {
                capture?.Dispose();
            }
        }
    }

    private void WriteRequestEvent(HttpContext context, RequestLogFeature feature, RequestLoggingOptions settings, BodyCapture? capture, TimeSpan elapsed)
    {
        var status = context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted
            ? 499
            : context.Response.StatusCode;
        var level = status >= 500 ? LogLevel.Warning : LogLevel.Information;
        var path = context.Request.PathBase.Add(context.Request.Path).ToString();
        var retryReasons = feature.RetryReasonsText();
        var traceId = System.Diagnostics.Activity.Current?.TraceId.ToHexString() ?? "none";
        if (capture is not null && (settings.Bodies == BodyLogging.All || status >= 400))
        {
            var fields = SecretFields(settings);
            Log.RequestWithBodies(logger, level, feature.RequestId, context.Request.Method, path, status,
                elapsed.TotalMilliseconds, feature.Attempts, retryReasons, feature.QueueWait.TotalMilliseconds, traceId, feature.Client ?? "none",
                capture.DescribeRequest(fields, redactor), capture.DescribeResponse(context.Response.ContentType, fields, redactor));
        }
        else
        {
            Log.Request(logger, level, feature.RequestId, context.Request.Method, path, status,
                elapsed.TotalMilliseconds, feature.Attempts, retryReasons, feature.QueueWait.TotalMilliseconds, traceId, feature.Client ?? "none");
        }
    }

    /// <summary>A client's id is kept when it is short and plain; anything else could forge log lines.</summary>
    internal static string? AcceptRequestId(string? candidate)
    {
        if (string.IsNullOrEmpty(candidate) || candidate.Length > MaxRequestIdLength)
        {
            return null;
        }

        foreach (var c in candidate)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':'))
            {
                return null;
            }
        }

        return candidate;
    }

    private IReadOnlySet<string> SecretFields(RequestLoggingOptions settings)
    {
        // One immutable pair, swapped whole: a request never sees a new source with an old set.
        var cached = Volatile.Read(ref _secretFields);
        if (cached is not null && ReferenceEquals(cached.Source, settings.MaskedFields))
        {
            return cached.Fields;
        }

        var fields = new HashSet<string>(SensitiveJson.BuiltInSecretFields.Concat(settings.MaskedFields), StringComparer.OrdinalIgnoreCase);
        Volatile.Write(ref _secretFields, new SecretFieldSet(settings.MaskedFields, fields));
        return fields;
    }

    private sealed record SecretFieldSet(List<string> Source, IReadOnlySet<string> Fields);

    private static partial class Log
    {
        [LoggerMessage(EventId = 2003, Level = LogLevel.Error, Message = "Request {RequestId} failed inside the gateway")]
        public static partial void Unhandled(ILogger logger, Exception exception, string requestId);

        [LoggerMessage(EventId = 2001, Message = "{Method:l} {Path:l} answered {StatusCode} in {ElapsedMs:0.0} ms; attempts {Attempts}, retries for {RetryReasons:l}, budget wait {QueueWaitMs:0.0} ms; client {Client:l}; request {RequestId:l}, trace {TraceId:l}")]
        public static partial void Request(ILogger logger, LogLevel level, string requestId, string method, string path,
            int statusCode, double elapsedMs, int attempts, string retryReasons, double queueWaitMs, string traceId, string client);

        [LoggerMessage(EventId = 2002, Message = "{Method:l} {Path:l} answered {StatusCode} in {ElapsedMs:0.0} ms; attempts {Attempts}, retries for {RetryReasons:l}, budget wait {QueueWaitMs:0.0} ms; client {Client:l}; request {RequestId:l}, trace {TraceId:l}; request body {RequestBody}; response body {ResponseBody}")]
        public static partial void RequestWithBodies(ILogger logger, LogLevel level, string requestId, string method, string path,
            int statusCode, double elapsedMs, int attempts, string retryReasons, double queueWaitMs, string traceId, string client,
            string requestBody, string responseBody);
    }

    /// <summary>
    /// Keeps the first bytes of both bodies while they flow, through streams that copy as bytes pass: nothing is
    /// buffered, nothing spills to disk, and nothing is read from the client that forwarding did not read.
    /// </summary>
    private sealed class BodyCapture : IDisposable
    {
        private readonly HttpContext _context;
        private readonly Stream _originalRequestBody;
        private readonly Stream _originalResponseBody;
        private readonly HeadRecorder _requestHead;
        private readonly HeadRecorder _responseHead;

        private BodyCapture(HttpContext context, int limit)
        {
            _context = context;
            _originalRequestBody = context.Request.Body;
            _originalResponseBody = context.Response.Body;
            _requestHead = new HeadRecorder(limit);
            _responseHead = new HeadRecorder(limit);
            context.Request.Body = new TeeReadStream(_originalRequestBody, _requestHead);
            context.Response.Body = new TeeWriteStream(_originalResponseBody, _responseHead);
        }

        public static BodyCapture Start(HttpContext context, int limit) => new(context, limit);

        public string DescribeRequest(IReadOnlySet<string> secretFields, SecretRedactor redactor) =>
            Describe(_requestHead, _context.Request.ContentType, secretFields, redactor);

        public string DescribeResponse(string? contentType, IReadOnlySet<string> secretFields, SecretRedactor redactor) =>
            Describe(_responseHead, contentType, secretFields, redactor);

        public void Dispose()
        {
            _context.Request.Body = _originalRequestBody;
            _context.Response.Body = _originalResponseBody;
            _requestHead.Release();
            _responseHead.Release();
        }

        private static string Describe(HeadRecorder head, string? contentType, IReadOnlySet<string> secretFields, SecretRedactor redactor)
        {
            if (head.TotalBytes == 0)
            {
                return "(empty)";
            }

            if (contentType is not null && contentType.Contains("json", StringComparison.OrdinalIgnoreCase))
            {
                var masked = SensitiveJson.Mask(head.Captured, truncated: head.Captured.Length < head.TotalBytes, secretFields);
                if (masked is not null)
                {
                    return redactor.Redact(masked);
                }
            }

            return $"({head.TotalBytes} bytes of {contentType ?? "unknown type"})";
        }
    }

    /// <summary>The first bytes of a body and how many passed in all.</summary>
    private sealed class HeadRecorder(int limit)
    {
        private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(limit);
        private int _captured;

        public long TotalBytes { get; private set; }

        public ReadOnlySpan<byte> Captured => _buffer.AsSpan(0, _captured);

        public void Record(ReadOnlySpan<byte> data)
        {
            TotalBytes += data.Length;
            if (_buffer is null || _captured >= limit)
            {
                return;
            }

            var take = Math.Min(limit - _captured, data.Length);
            data[..take].CopyTo(_buffer.AsSpan(_captured));
            _captured += take;
        }

        public void Release()
        {
            if (_buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = null;
            }
        }
    }

    /// <summary>Reads pass through untouched; the recorder sees what was read.</summary>
    private sealed class TeeReadStream(Stream inner, HeadRecorder recorder) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => inner.Length;

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = inner.Read(buffer, offset, count);
            recorder.Record(buffer.AsSpan(offset, read));
            return read;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            recorder.Record(buffer.Span[..read]);
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>Writes pass through untouched; the recorder sees what was written.</summary>
    private sealed class TeeWriteStream(Stream inner, HeadRecorder recorder) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            recorder.Record(buffer.AsSpan(offset, count));
            inner.Write(buffer, offset, count);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            recorder.Record(buffer.Span);
            await inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}
