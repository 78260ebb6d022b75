using Polly;

namespace SmartLead.Gateway.Resilience;

/// <summary>
/// SmartLead's latest answer to a request that is being retried. When the gateway itself then refuses the retry
/// (the budget has no permit in time, the circuit opened), the client gets this answer, SmartLead's own words,
/// rather than a gateway error about a request SmartLead did see.
/// </summary>
internal static class LastAnswer
{
    private static readonly ResiliencePropertyKey<HttpResponseMessage?> Key = new("SmartLead.Gateway.Resilience.LastAnswer");

    /// <summary>
    /// Keeps <paramref name="answer"/>, which Polly disposes once its retry callback returns: the content (unread,
    /// still streaming from SmartLead) moves to a copy that Polly does not own, and the answer kept before is let go.
    /// </summary>
    public static void Keep(ResilienceContext context, HttpResponseMessage answer)
    {
        var copy = new HttpResponseMessage(answer.StatusCode)
        {
            ReasonPhrase = answer.ReasonPhrase,
            Version = answer.Version,
            RequestMessage = answer.RequestMessage,
            Content = answer.Content,
        };
        foreach (var (name, values) in answer.Headers)
        {
            copy.Headers.TryAddWithoutValidation(name, values);
        }

        answer.Content = null;
        Take(context)?.Dispose();
        context.Properties.Set(Key, copy);
    }

    /// <summary>The kept answer, now the caller's to return or dispose; null when there is none.</summary>
    public static HttpResponseMessage? Take(ResilienceContext context)
    {
        if (!context.Properties.TryGetValue(Key, out var answer) || answer is null)
        {
            return null;
        }

        context.Properties.Set(Key, null);
        return answer;
    }
}
