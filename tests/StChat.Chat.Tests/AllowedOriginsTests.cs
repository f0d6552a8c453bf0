using Microsoft.AspNetCore.Http;
using StChat.Chat.Security;
using Xunit;

namespace StChat.Chat.Tests;

public sealed class AllowedOriginsTests
{
    private static readonly HostString Server = new("chat.example.com");

    [Theory]
    [InlineData("https://chat.example.com", true)]          // the server's own origin
    [InlineData("https://CHAT.example.com:443", true)]      // the same, spelled otherwise
    [InlineData("http://chat.example.com", false)]          // another scheme is another origin
    [InlineData("https://chat.example.com:8443", false)]
    [InlineData("https://app.example.org", true)]           // listed
    [InlineData("https://evil.example", false)]
    [InlineData("http://localhost:5173", false)]            // localhost only in Development
    [InlineData("null", false)]                             // sandboxed pages and file:// send "null"
    [InlineData("https://app.example.org/path", false)]
    public void An_origin_is_allowed_when_it_is_the_servers_own_or_listed(string origin, bool allowed)
    {
        var origins = new AllowedOrigins(["https://app.example.org"], localhostOnAnyPort: false);
        Assert.Equal(allowed, origins.Allows(origin, "https", Server));
    }

    [Theory]
    [InlineData("http://localhost:5173", true)]
    [InlineData("http://127.0.0.1:3000", true)]
    [InlineData("http://[::1]:8080", true)]
    [InlineData("http://localhost.evil.example", false)]
    public void Development_also_allows_localhost_on_any_port(string origin, bool allowed) =>
        Assert.Equal(allowed, new AllowedOrigins([], localhostOnAnyPort: true).Allows(origin, "https", Server));

    [Fact]
    public void Options_with_a_malformed_origin_or_proxy_are_refused_on_start_naming_the_key()
    {
        var result = new ChatOptionsValidator().Validate(null, new ChatOptions
        {
            AllowedOrigins = ["https://ok.example", "https://chat.example.com/app", "*"],
            TrustedProxies = ["10.0.0.5", "10.0.0.0/24", "::1", "nginx", "10.0.0.0/99"],
        });

        Assert.False(result.Succeeded);
        var failures = result.Failures!.ToList();
        Assert.Equal(2, failures.Count(f => f.StartsWith("Chat:AllowedOrigins", StringComparison.Ordinal)));
        Assert.Equal(2, failures.Count(f => f.StartsWith("Chat:TrustedProxies", StringComparison.Ordinal)));
        Assert.Contains(failures, f => f.Contains("'nginx'", StringComparison.Ordinal));
    }
}
