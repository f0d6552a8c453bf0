using Microsoft.Playwright;

namespace StChat.Web.Tests.Infrastructure;

// Reading and writing a page's message log: `log` is its list (#log on the anonymous room page, #conv-log on the
// signed-in page), `input` its text box.
internal static class ChatPageLog
{
    public static float Ms(TimeSpan t) => (float)t.TotalMilliseconds;

    public static async Task SendAsync(IPage page, string input, string text)
    {
        await page.FillAsync(input, text);
        await page.PressAsync(input, "Enter");
    }

    public static Task WaitForMessageAsync(IPage page, string log, string text, TimeSpan patience) =>
        page.Locator($"{log} li.message .text", new PageLocatorOptions { HasTextString = text })
            .First.WaitForAsync(new LocatorWaitForOptions { Timeout = Ms(patience) });

    public static Task<long[]> SeqsAsync(IPage page, string log) =>
        page.Locator($"{log} li[data-seq]").EvaluateAllAsync<long[]>("els => els.map(e => Number(e.dataset.seq))");

    public static Task<string[]> MessagesAsync(IPage page, string log) =>
        page.Locator($"{log} li.message .text").EvaluateAllAsync<string[]>("els => els.map(e => e.textContent)");
}
