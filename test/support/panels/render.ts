// Pictures of emulated glass as PNG, for failure reports and a look at what the bytes produce.
import { PNG } from 'pngjs';
import { OledEmulator } from './oled-emulator';

export function oledGlassPng(oled: OledEmulator, scale = 4): Buffer {
  const png = new PNG({ width: 128 * scale, height: oled.height * scale });
  // Brightness follows the contrast register, so a dimmed panel looks dimmed.
  const level = 60 + Math.round((195 * oled.contrast) / 255);
  for (let y = 0; y < png.height; y++) {
    for (let x = 0; x < png.width; x++) {
      const on = oled.pixel(Math.floor(x / scale), Math.floor(y / scale));
      const o = (y * png.width + x) * 4;
      png.data[o] = on ? Math.round(level * 0.5) : 0;
      png.data[o + 1] = on ? Math.round(level * 0.85) : 0;
      png.data[o + 2] = on ? level : 0;
      png.data[o + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}
