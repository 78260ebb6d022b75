using SmartLead.Gateway.Logging;

namespace SmartLead.Gateway.Tests.Logging;

public sealed class EmailMaskTests
{
    [Theory]
    [InlineData("alice@example.com", "a***@example.com")]
    [InlineData("Bob.Smith+tag@sub.example.org", "B***@sub.example.org")]
    [InlineData("jürgen@müller.de", "j***@müller.de")]
    [InlineData("ümit@example.com", "ü***@example.com")]
    [InlineData("\U0001F600smile@example.com", "\U0001F600***@example.com")]
    [InlineData("\"a@b\"@example.com", "\"***@example.com")]
    public void EmailMask_Address_KeepsFirstCharacterAndDomain(string email, string masked)
    {
        Assert.Equal(masked, EmailMask.Mask(email));
    }

    [Theory]
    [InlineData("a@example.com", "***@example.com")]
    [InlineData("@example.com", "***@example.com")]
    [InlineData(" bob@example.com", "***@example.com")]
    [InlineData("not-an-email", "***")]
    public void EmailMask_NothingSafeToShow_HidesTheWholeLocalPart(string email, string masked)
    {
        Assert.Equal(masked, EmailMask.Mask(email));
    }

    [Fact]
    public void EmailMask_LoneSurrogateFirst_HidesTheWholeLocalPart()
    {
        Assert.Equal("***@example.com", EmailMask.Mask((char)0xD800 + "bob@example.com"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void EmailMask_NullOrEmpty_IsEmpty(string? email)
    {
        Assert.Equal(string.Empty, EmailMask.Mask(email));
    }

    [Fact]
    public void EmailMask_Result_NeverContainsTheLocalPartAfterItsFirstCharacter()
    {
        var masked = EmailMask.Mask("secretname@example.com");

        Assert.DoesNotContain("ecretname", masked, StringComparison.Ordinal);
    }
}
