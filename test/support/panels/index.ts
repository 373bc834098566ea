export * from './fake-bus';
export * from './oled-emulator';
export * from './lcd-emulator';
export * from './render';
