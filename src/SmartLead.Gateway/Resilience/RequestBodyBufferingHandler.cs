using SmartLead.Gateway.Configuration;
using SmartLead.Gateway.Errors;

namespace SmartLead.Gateway.Resilience;

/// <summary>
/// Reads the request body into memory, up to <see cref="RetryOptions.MaxBufferedBodyBytes"/>, before any attempt.
/// YARP's request content streams the client's body once; buffered, every retry sends the same bytes, chunked
/// uploads included. A larger body is refused with 413 before SmartLead is contacted.
/// </summary>
internal sealed partial class RequestBodyBufferingHandler : DelegatingHandler
{
    private readonly LiveOptions<RetryOptions> _options;
    private readonly ILogger _logger;

    public RequestBodyBufferingHandler(LiveOptions<RetryOptions> options, ILogger<RequestBodyBufferingHandler> logger)
    {
        _options = options;
        _logger = logger;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Content is { } content)
        {
            var limit = _options.Current.MaxBufferedBodyBytes;
            if (content.Headers.ContentLength > limit)
            {
                throw TooLarge(limit);
            }

            try
            {
                await content.LoadIntoBufferAsync(limit, cancellationToken);
            }
            catch (HttpRequestException ex) when (ex.HttpRequestError == HttpRequestError.ConfigurationLimitExceeded)
            {
                // Without a Content-Length the limit is only found while reading; failures reading the client's body
                // carry other errors and go to YARP as they are.
                throw TooLarge(limit);
            }
        }

        return await base.SendAsync(request, cancellationToken);
    }

    private GatewayRejectedException TooLarge(long limit)
    {
        Log.BodyTooLarge(_logger, limit);
        return new GatewayRejectedException(
            StatusCodes.Status413PayloadTooLarge,
            GatewayError.PayloadTooLarge,
            $"The request body is larger than the gateway buffers ({limit} bytes).",
            details: new { limit });
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3020, Level = LogLevel.Information,
            Message = "Request body over {Limit} bytes refused before forwarding")]
        public static partial void BodyTooLarge(ILogger logger, long limit);
    }
}
