using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using StChat.Chat.Tests.Infrastructure;
using StChat.Testing;
using Xunit;

namespace StChat.Chat.Tests;

// Failed sign-ins, against hosts of their own (the throttle is per process) with limits small enough to hit at once
// and blocks short enough to wait out. Blocks double with each failure, so a test fails until the answer itself says
// the block is long enough to act on (Retry-After), instead of racing a one-second block.
public sealed class LoginThrottleTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>
{
    private const string WrongPassword = "not the password";

    [Fact]
    public async Task Failed_sign_ins_block_the_account_even_for_its_correct_password_and_the_block_ends_soon()
    {
        await using var host = await ChatHost.StartAsync(database.ConnectionString, new Dictionary<string, string?>
        {
            ["PasswordIterations"] = "10000",
            ["LoginFailuresPerAccount"] = "2",
            ["LoginAccountBlockMax"] = "00:00:04",
            ["LoginFailuresPerAddress"] = "1000",
        });
        var ann = await TestAccounts.SignUpAsync(host, "ann");
        var bob = await TestAccounts.SignUpAsync(host, "bob");
        using var http = new HttpClient { BaseAddress = host.HttpUri };

        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await SignInAsync(http, ann.Name, WrongPassword)).StatusCode);
        }

        var refused = await FailUntilBlockedForAsync(http, () => ann.Name, TimeSpan.FromSeconds(3));
        Assert.InRange(RetryAfter(refused), 3, 4);
        await AssertRateLimitedProblemAsync(refused);

        // The owner with the right password, in any case of the name, is refused too while the block lasts...
        using (var correct = await SignInAsync(http, ann.Name, TestAccounts.Password))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, correct.StatusCode);
            Assert.InRange(RetryAfter(correct), 1, 4);
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, (await SignInAsync(http, ann.Name.ToUpperInvariant(), TestAccounts.Password)).StatusCode);

        // ...but only that account: Bob signs in from the same address meanwhile.
        Assert.Equal(HttpStatusCode.Created, (await SignInAsync(http, bob.Name, TestAccounts.Password)).StatusCode);

        // The block ends by itself, and the owner is in.
        await Eventually.Until(async () => (await SignInAsync(http, ann.Name, TestAccounts.Password)).StatusCode == HttpStatusCode.Created,
            TimeSpan.FromSeconds(30), "Ann's block (at most 4 s) ends and her password is accepted");
    }

    [Fact]
    public async Task Many_failed_names_from_one_address_block_the_address_for_every_name_until_the_block_ends()
    {
        await using var host = await ChatHost.StartAsync(database.ConnectionString, new Dictionary<string, string?>
        {
            ["PasswordIterations"] = "10000",
            ["LoginFailuresPerAccount"] = "1000",
            ["LoginFailuresPerAddress"] = "5",
            ["LoginAddressBlockMax"] = "00:00:04",
        });
        var ann = await TestAccounts.SignUpAsync(host, "ann");
        using var http = new HttpClient { BaseAddress = host.HttpUri };

        // Every attempt names a different account, so no account limit applies: only the address can be counted.
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await SignInAsync(http, NewName(), WrongPassword)).StatusCode);
        }

        var refused = await FailUntilBlockedForAsync(http, NewName, TimeSpan.FromSeconds(3));
        await AssertRateLimitedProblemAsync(refused);

        using (var correct = await SignInAsync(http, ann.Name, TestAccounts.Password))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, correct.StatusCode);
            Assert.InRange(RetryAfter(correct), 1, 4);
        }

        await Eventually.Until(async () => (await SignInAsync(http, ann.Name, TestAccounts.Password)).StatusCode == HttpStatusCode.Created,
            TimeSpan.FromSeconds(30), "the address's block (at most 4 s) ends and Ann's password is accepted");
    }

    [Fact]
    public async Task A_wrong_password_and_an_unknown_name_get_the_same_401()
    {
        await using var host = await ChatHost.StartAsync(database.ConnectionString, new Dictionary<string, string?>
        {
            ["PasswordIterations"] = "10000",
        });
        var ann = await TestAccounts.SignUpAsync(host, "ann");
        using var http = new HttpClient { BaseAddress = host.HttpUri };

        using var wrongPassword = await SignInAsync(http, ann.Name, WrongPassword);
        using var unknownName = await SignInAsync(http, NewName(), WrongPassword);
        using var passwordAsName = await SignInAsync(http, TestAccounts.Password, TestAccounts.Password);

        var expected = await DescribeAsync(wrongPassword);
        Assert.StartsWith("401 application/problem+json", expected, StringComparison.Ordinal);
        Assert.Contains("\"code\":\"unauthorized\"", expected, StringComparison.Ordinal);
        Assert.Equal(expected, await DescribeAsync(unknownName));
        Assert.Equal(expected, await DescribeAsync(passwordAsName));
    }

    // Wrong passwords until one is answered 429 with a Retry-After of at least `atLeast`: each failure that is let
    // through doubles the block, and attempts during a block are refused without counting.
    private static async Task<HttpResponseMessage> FailUntilBlockedForAsync(HttpClient http, Func<string> name, TimeSpan atLeast)
    {
        HttpResponseMessage? refused = null;
        var answers = new List<int>();
        await Eventually.Until(async () =>
        {
            var response = await SignInAsync(http, name(), WrongPassword);
            answers.Add((int)response.StatusCode);
            Assert.True(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.TooManyRequests,
                $"a failed sign-in answered {(int)response.StatusCode}");
            if (response.StatusCode == HttpStatusCode.TooManyRequests && RetryAfter(response) >= atLeast.TotalSeconds)
            {
                refused = response;
                return true;
            }

            response.Dispose();
            return false;
        }, TimeSpan.FromSeconds(60), $"failed sign-ins are refused with 429 and Retry-After >= {atLeast.TotalSeconds} s");
        Assert.Contains(429, answers);
        return refused!;
    }

    private static Task<HttpResponseMessage> SignInAsync(HttpClient http, string name, string password) =>
        http.PostAsJsonAsync("api/sessions", new { name, password });

    private static int RetryAfter(HttpResponseMessage response) =>
        response.Headers.RetryAfter?.Delta is { } delta ? (int)delta.TotalSeconds : throw new InvalidOperationException("No Retry-After in seconds.");

    private static async Task AssertRateLimitedProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("rate_limited", problem.RootElement.GetProperty("code").GetString());
    }

    // Status, type, headers that could differ and the body, as one string to compare.
    private static async Task<string> DescribeAsync(HttpResponseMessage response) =>
        $"{(int)response.StatusCode} {response.Content.Headers.ContentType} "
        + $"WWW-Authenticate={string.Join(",", response.Headers.WwwAuthenticate)} Retry-After={response.Headers.RetryAfter}\n"
        + await response.Content.ReadAsStringAsync();

    private static string NewName() => "n" + Guid.NewGuid().ToString("N")[..16];
}
