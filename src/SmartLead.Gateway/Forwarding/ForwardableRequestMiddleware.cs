using SmartLead.Gateway.Errors;

namespace SmartLead.Gateway.Forwarding;

/// <summary>
/// In YARP's proxy pipeline, before anything reads the body or spends budget: a request whose path or headers the
/// gateway cannot forward exactly as sent (<see cref="RequestTarget"/>) is the client's error, answered 400
/// <c>VALIDATION_ERROR</c> and never sent, retried or counted by the breaker. Everything else passes untouched.
/// </summary>
internal sealed partial class ForwardableRequestMiddleware(RequestDelegate next, ILogger<ForwardableRequestMiddleware> logger)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (RequestTarget.RawPath(context) is { } rawPath && RequestTarget.PathProblem(rawPath) is { } pathProblem)
        {
            Log.PathRefused(logger, pathProblem);
            return GatewayError.WriteAsync(
                context,
                StatusCodes.Status400BadRequest,
                GatewayError.ValidationError,
                $"The request path holds {pathProblem}, which the gateway does not forward: send the path without it.",
                new { field = "path", constraint = "forwardable" });
        }

        if (RequestTarget.HeaderProblem(context.Request.Headers) is var (headerProblem, header))
        {
            Log.HeadersRefused(logger, headerProblem);
            return GatewayError.WriteAsync(
                context,
                StatusCodes.Status400BadRequest,
                GatewayError.ValidationError,
                $"The request has {headerProblem}, which cannot be sent on to SmartLead.",
                new { field = header is null ? "headers" : $"headers.{header}", constraint = header is null ? "token" : "ascii" });
        }

        return next(context);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 7002, Level = LogLevel.Information, Message = "Request refused before forwarding: its path holds {Problem}")]
        public static partial void PathRefused(ILogger logger, string problem);

        [LoggerMessage(EventId = 7003, Level = LogLevel.Information, Message = "Request refused before forwarding: it has {Problem}")]
        public static partial void HeadersRefused(ILogger logger, string problem);
    }
}
