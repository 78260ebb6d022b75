namespace SmartLead.Gateway.Budget;

// TEMPORARY, with UpstreamBudget.Status.cs: the use of each limit on its own, for the status page, until the budget
// implements IBudgetStatusSource itself. Drop both files then.
internal sealed partial class PermitLimits
{
    /// <summary>Tokens in the bucket at <paramref name="now"/>.</summary>
    public int BucketAvailable(long now)
    {
        var bucket = _bucket;
        bucket.RefillTo(now);
        return (int)Math.Max(0, bucket.Tokens);
    }

    /// <summary>Permits window <paramref name="index"/> (in <see cref="RateLimitOptions.EffectiveWindows"/> order) could still grant at <paramref name="now"/>.</summary>
    public int WindowAvailable(int index, long now)
    {
        if (index >= _windows.Length)
        {
            return 0;
        }

        var window = _windows[index];
        var counted = _inFlight.Count;
        for (var i = _finished.Count - 1; i >= _finishedStart && _finished[i] + window.Length > now; i--)
        {
            counted++;
        }

        return Math.Max(0, window.PermitLimit - counted);
    }
}
