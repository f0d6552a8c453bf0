using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using StChat.Testing;
using StChat.Web.Tests.Infrastructure;
using Xunit;

namespace StChat.Web.Tests;

// The live catalogue page in real Chromium against the real `serve` process, filled by the real feed simulator
// (`StChat.Server feeds`): rows appear as they are catalogued, and after the server is killed and started again the
// page resumes where it was and shows every row once.
public sealed class BrowserFeedsTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Simulated_feed_rows_appear_live_and_the_page_resumes_after_a_server_restart_without_duplicates()
    {
        await using var nats = await NatsServer.StartAsync();
        var serve = await ServeProcess.StartAsync(database.ConnectionString, nats.Url);
        try
        {
            using var playwright = await Playwright.CreateAsync();
            await using var browser = await HeadlessChromium.LaunchAsync(playwright);
            await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });
            var page = await context.NewPageAsync();
            // Script errors and Content-Security-Policy refusals. The failed connections of the outage are expected, and
            // so are the 503s of the restarted server while it is still starting.
            var errors = new List<string>();
            page.Console += (_, message) =>
            {
                if (message.Type == "error" && !message.Text.Contains("WebSocket", StringComparison.Ordinal)
                    && !message.Text.Contains("net::ERR_", StringComparison.Ordinal)
                    && !message.Text.Contains("the server responded with a status of 503", StringComparison.Ordinal))
                {
                    errors.Add(message.Text);
                }
            };

            await page.GotoAsync(new Uri(serve.HttpUri, "feeds").ToString());
            await page.Locator("#status[data-state='open']").WaitForAsync(new LocatorWaitForOptions { Timeout = Ms(Patience) });

            await PublishFeedsAsync(nats.Url, 15);
            await WaitForRowsAsync(page, 15);

            // The server goes away mid-stream; what is published meanwhile waits in the stream.
            await serve.DisposeAsync();
            await page.Locator("#status[data-state='closed']").WaitForAsync(new LocatorWaitForOptions { Timeout = Ms(Patience) });
            await PublishFeedsAsync(nats.Url, 15);
            serve = await ServeProcess.StartAsync(database.ConnectionString, nats.Url, port: serve.Port);
            await page.Locator("#status[data-state='open']").WaitForAsync(new LocatorWaitForOptions { Timeout = Ms(Patience) });
            await PublishFeedsAsync(nats.Url, 10);
            await WaitForRowsAsync(page, 40);

            // Every catalogued row once, newest first, and the same rows the API holds.
            using var http = new HttpClient { BaseAddress = serve.HttpUri };
            foreach (var (table, feed) in new[] { ("#sport-events", "sport_event"), ("#executions", "execution") })
            {
                var shown = await SeqsAsync(page, table);
                Assert.Equal(shown.Distinct().Count(), shown.Length);
                Assert.Equal(shown.OrderDescending(), shown);
                var stored = await http.GetFromJsonAsync<JsonElement>($"api/feeds/{feed}?after=0&limit=500");
                Assert.Equal(stored.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("seq").GetInt64()).Reverse(), shown);
            }

            Assert.Equal(40, await page.Locator("#sports li b").EvaluateAllAsync<int>("bs => bs.reduce((n, b) => n + Number(b.textContent), 0)"));
            Assert.True(await page.Locator("#charts figure").CountAsync() > 0);
            Assert.Empty(errors);
            await Screenshots.TakeAsync(page, "feeds");
        }
        finally
        {
            await serve.DisposeAsync();
        }
    }

    private static float Ms(TimeSpan t) => ChatPageLog.Ms(t);

    private static Task WaitForRowsAsync(IPage page, int perFeed) => Eventually.Until(
        async () => await page.Locator("#sport-events tbody tr").CountAsync() >= perFeed
            && await page.Locator("#executions tbody tr").CountAsync() >= perFeed,
        Patience, $"the page shows {perFeed} rows of each feed");

    private static async Task<long[]> SeqsAsync(IPage page, string table) =>
        (await page.Locator($"{table} tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.seq)"))
        .Select(long.Parse).ToArray();

    // `StChat.Server feeds --count N --rate 0`: N messages on each subject, then exit.
    private static async Task PublishFeedsAsync(string natsUrl, int count)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])[Repository.ServerDll, "feeds", "--count", count.ToString(System.Globalization.CultureInfo.InvariantCulture), "--rate", "0"])
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["Nats__Url"] = natsUrl;
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Patience);
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"feeds exited with {process.ExitCode}:\n{await output}\n{await error}");
    }
}
