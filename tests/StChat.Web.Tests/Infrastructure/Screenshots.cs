using Microsoft.Playwright;

namespace StChat.Web.Tests.Infrastructure;

// Screenshots of the browser tests: always into the test artifacts, and with STCHAT_UPDATE_SCREENSHOTS=1 also into
// docs/screenshots/ (see the README there).
internal static class Screenshots
{
    private static readonly bool UpdateDocs = Environment.GetEnvironmentVariable("STCHAT_UPDATE_SCREENSHOTS") == "1";

    public static async Task TakeAsync(IPage page, string name)
    {
        var png = await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Repository.ArtifactsDirectory, name + ".png") });
        if (UpdateDocs)
        {
            var docs = Path.Combine(Repository.Root, "docs", "screenshots");
            Directory.CreateDirectory(docs);
            await File.WriteAllBytesAsync(Path.Combine(docs, name + ".png"), png);
        }
    }
}
