using Microsoft.Extensions.Options;

namespace SmartLead.Gateway.Resilience;

/// <summary>How the gateway retries SmartLead's transient failures. Section <c>Retry</c>.</summary>
internal sealed class RetryOptions
{
    public const string SectionName = "Retry";

    /// <summary>Statuses retried when <see cref="StatusCodes"/> is left empty.</summary>
    public static readonly IReadOnlyList<int> DefaultStatusCodes = [429, 500, 502, 503, 504];

    /// <summary>Replay-safe routes used when <see cref="ReplaySafeRoutes"/> is left empty: the two lead imports.</summary>
    public static readonly IReadOnlyList<string> DefaultReplaySafeRoutes =
    [
        "POST /api/v1/campaigns/{id}/leads",
        "POST /api/v1/lead-list/{id}/import",
    ];

    /// <summary>Retries after the first attempt; 0 turns retrying off. Default 5.</summary>
    public int MaxRetries { get; set; } = 5;

    /// <summary>First backoff of Polly's exponential backoff with jitter (about doubling per retry). Default 1 s.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest backoff the gateway picks by itself (an upstream <c>Retry-After</c> may ask for more). Default 30 s.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Longest wait asked by SmartLead (<c>Retry-After</c>, or <c>X-RateLimit-Reset</c> on a 429) that the gateway will
    /// sit out while the client waits; a longer ask goes back to the client at once, <c>Retry-After</c> included. Default 60 s.
    /// </summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Upstream statuses that may be retried. Default (when empty) 429, 500, 502, 503, 504. 400, 401, 403, 404, 409
    /// and 422 are never retried and are refused here.
    /// </summary>
    /// <remarks>
    /// Empty by default rather than pre-filled, because the configuration binder appends configured items to a
    /// pre-filled list instead of replacing it.
    /// </remarks>
    public List<int> StatusCodes { get; set; } = [];

    /// <summary>
    /// Routes on which a POST or PATCH may be replayed after an answer that does not prove SmartLead ignored it
    /// (500, 502, 504, timeouts, broken connections). Each is <c>[METHOD ]/path/{param}/...</c>: segments match
    /// case-insensitively, <c>{name}</c> matches one segment, a trailing slash is tolerated; without a method the
    /// route applies to POST and PATCH. Default (when empty) the two lead imports, which SmartLead de-duplicates:
    /// <c>POST /api/v1/campaigns/{id}/leads</c> and <c>POST /api/v1/lead-list/{id}/import</c>.
    /// </summary>
    public List<string> ReplaySafeRoutes { get; set; } = [];

    /// <summary>
    /// Largest request body the gateway buffers so that every attempt sends the same bytes; a larger body is refused
    /// with 413 <c>PAYLOAD_TOO_LARGE</c> before anything is sent. Default 10 MiB.
    /// </summary>
    public long MaxBufferedBodyBytes { get; set; } = 10 * 1024 * 1024;

    public IReadOnlyList<int> GetStatusCodes() => StatusCodes.Count > 0 ? StatusCodes : DefaultStatusCodes;

    public IReadOnlyList<string> GetReplaySafeRoutes() => ReplaySafeRoutes.Count > 0 ? ReplaySafeRoutes : DefaultReplaySafeRoutes;
}

/// <summary>Checks every <see cref="RetryOptions"/> value and reports all problems at once.</summary>
internal sealed class RetryOptionsValidator : IValidateOptions<RetryOptions>
{
    // Polly refuses more than this many retry attempts; far beyond anything useful against one upstream anyway.
    private const int MaxRetriesLimit = 20;

    public ValidateOptionsResult Validate(string? name, RetryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        const string s = RetryOptions.SectionName;

        if (options.MaxRetries is < 0 or > MaxRetriesLimit)
        {
            errors.Add($"{s}:MaxRetries must be between 0 and {MaxRetriesLimit} (was {options.MaxRetries}).");
        }

        if (options.BaseDelay <= TimeSpan.Zero || options.BaseDelay > TimeSpan.FromHours(1))
        {
            errors.Add($"{s}:BaseDelay must be more than 0 and at most 01:00:00 (was {options.BaseDelay}).");
        }

        if (options.MaxDelay <= TimeSpan.Zero || options.MaxDelay > TimeSpan.FromHours(1))
        {
            errors.Add($"{s}:MaxDelay must be more than 0 and at most 01:00:00 (was {options.MaxDelay}).");
        }
        else if (options.MaxDelay < options.BaseDelay)
        {
            errors.Add($"{s}:MaxDelay ({options.MaxDelay}) must not be less than {s}:BaseDelay ({options.BaseDelay}).");
        }

        if (options.MaxRetryAfter < TimeSpan.Zero || options.MaxRetryAfter > TimeSpan.FromHours(1))
        {
            errors.Add($"{s}:MaxRetryAfter must be between 0 and 01:00:00 (was {options.MaxRetryAfter}).");
        }

        foreach (var code in options.StatusCodes)
        {
            if (code is < 400 or > 599)
            {
                errors.Add($"{s}:StatusCodes may hold only 4xx and 5xx statuses (found {code}).");
            }
            else if (RetryClassifier.IsNeverRetried(code))
            {
                errors.Add($"{s}:StatusCodes must not hold {code}: SmartLead asks clients never to retry it.");
            }
        }

        foreach (var route in options.ReplaySafeRoutes)
        {
            if (!RouteTemplate.TryParse(route, out _, out var error))
            {
                errors.Add($"{s}:ReplaySafeRoutes entry '{route}' is invalid: {error}");
            }
        }

        if (options.MaxBufferedBodyBytes is <= 0 or > int.MaxValue)
        {
            errors.Add($"{s}:MaxBufferedBodyBytes must be between 1 and {int.MaxValue} (was {options.MaxBufferedBodyBytes}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
