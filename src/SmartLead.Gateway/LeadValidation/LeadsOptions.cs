using System.ComponentModel.DataAnnotations;

namespace SmartLead.Gateway.LeadValidation;

/// <summary>
/// Limits of the lead import check, section <c>Leads</c>. Both hot-reload: each request reads the values in force
/// when it arrives.
/// </summary>
internal sealed class LeadsOptions
{
    public const string SectionName = "Leads";

    /// <summary>
    /// Most leads one import may carry; SmartLead refuses a larger batch and still charges the request.
    /// Default 400 (SmartLead's own limit). Range 1–10,000.
    /// </summary>
    [Range(1, 10_000)]
    public int MaxLeadsPerRequest { get; set; } = 400;

    /// <summary>
    /// Largest import body in bytes; a larger one is answered 413 without being read in full. The one limit of an
    /// import: the buffer the check reads it into is the one every retry replays.
    /// Default 4 MiB (4,194,304): 400 leads with generous custom fields stay well under 1 MB.
    /// Range 1 KiB–16 MiB, which keeps it under Kestrel's own 30 MB request limit.
    /// </summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int MaxBodyBytes { get; set; } = 4 * 1024 * 1024;
}
