using SmartLead.Gateway.Configuration;
using SmartLead.Gateway.Errors;
using SmartLead.Gateway.Forwarding;

namespace SmartLead.Gateway.Resilience;

/// <summary>
/// The chain's first stage: gives the request a body every attempt can replay. YARP's request content streams the
/// client's body once; buffered, every retry sends the same bytes, chunked uploads included. A body the lead check
/// already read is taken as it is (<see cref="BufferedRequestBody"/>, one read for both); any other is read here, up to
/// <see cref="RetryOptions.MaxBufferedBodyBytes"/>, and a larger one is refused with 413 before SmartLead is contacted.
/// </summary>
internal sealed partial class RequestBodyBufferingHandler(LiveOptions<RetryOptions> options, ILogger<RequestBodyBufferingHandler> logger)
    : DelegatingHandler
{
    /// <remarks>
    /// Not async unless a body has to be read here: a request without a body (or with the lead check's) goes down the
    /// chain as it is, so no state machine of this stage sits on the heap while a retry waits for its permit below.
    /// </remarks>
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Content is not { } content)
        {
            return base.SendAsync(request, cancellationToken);
        }

        if (ForwardedFeatures.Get<BufferedRequestBody>(request) is { } body)
        {
            request.Content = body.ToContent(content);
            return base.SendAsync(request, cancellationToken);
        }

        return ReadThenSendAsync(request, content, cancellationToken);
    }

    private async Task<HttpResponseMessage> ReadThenSendAsync(HttpRequestMessage request, HttpContent content, CancellationToken cancellationToken)
    {
        var limit = options.Current.MaxBufferedBodyBytes;
        var body = await BufferedRequestBody.ReadAsync(content, limit, cancellationToken);
        if (body is null)
        {
            Log.BodyTooLarge(logger, limit);
            throw BufferedRequestBody.TooLarge(limit);
        }

        request.Content = body.ToContent(content);
        return await base.SendAsync(request, cancellationToken);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 6020, Level = LogLevel.Information,
            Message = "Request body over {Limit} bytes refused before forwarding")]
        public static partial void BodyTooLarge(ILogger logger, long limit);
    }
}
