namespace SmartLead.Gateway.Budget;

/// <summary>
/// Who asks the budget for a permit, as the waiting room needs to know it: which client's turn the request waits for,
/// that client's weight and own queue limit, and how long the caller said it will wait at most.
/// </summary>
/// <param name="Name">The client's name (a lane of the fair queue).</param>
/// <param name="Weight">Requests served per turn while clients take turns; at least 1.</param>
/// <param name="QueueLimit">Most of this client's requests that may wait at once; null for no limit of its own.</param>
/// <param name="MaxWait">The caller's own limit on its wait; <c>RateLimit:MaxQueueWait</c> caps it.</param>
/// <param name="MaxShare">The most of the permits the client may take while others wait; null for no ceiling.</param>
internal readonly record struct BudgetTicket(string Name, int Weight, int? QueueLimit, TimeSpan? MaxWait, double? MaxShare = null)
{
    /// <summary>A request nobody identified (an open gateway, or a caller of the plain <c>RateLimiter</c> API).</summary>
    public static BudgetTicket Anonymous { get; } = new("anonymous", 1, null, null);

    /// <summary>The ticket of a request from <paramref name="client"/> (anonymous when client identity did not run).</summary>
    public static BudgetTicket For(Clients.ClientIdentity? client) => client is null
        ? Anonymous
        : new BudgetTicket(client.Name, client.Weight, client.QueueLimit, client.MaxWait, client.MaxShare);
}
